-- wrk: POST a form comment; each request a different text.
local counter = 0
request = function()
  counter = counter + 1
  local body = "author=bench&text=comment+" .. counter .. "+from+wrk+with+a+little+more+text+to+be+typical"
  return wrk.format("POST", "/api/comments", {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end

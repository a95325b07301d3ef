// A reference for POST throughput: the classic tutorial server's design, one Node
// process that reads, parses, re-serializes and rewrites its whole file on every
// POST, without fsync. Synchronous file calls, so that its single process never
// interleaves two writes (the asynchronous original corrupts its file under load).
// Written here for the benchmark only.
const fs = require('node:fs');
const http = require('node:http');

const file = process.env.COMMENTS_FILE;
const port = Number(process.env.PORT);

function send(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
  res.end(body);
}

http
  .createServer((req, res) => {
    if (req.url !== '/api/comments') return send(res, 404, '{}');
    if (req.method === 'GET') return send(res, 200, fs.readFileSync(file));
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const comments = JSON.parse(fs.readFileSync(file));
      comments.push({ id: Date.now(), author: form.get('author'), text: form.get('text') });
      const json = JSON.stringify(comments, null, 4);
      fs.writeFileSync(file, json);
      send(res, 201, json);
    });
  })
  .listen(port, '127.0.0.1', () => console.log(`listening on ${port}`));

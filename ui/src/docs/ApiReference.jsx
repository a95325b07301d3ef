import { useEffect, useState } from 'react';
import { renderInlineMarkdown, renderMarkdown } from '../markdown.js';
import { describeType, refName, resolve } from './schema.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

// Descriptions are Markdown, rendered and sanitised as comments are.
function Text({ children }) {
  if (!children) return null;
  return <div className="doc-text" dangerouslySetInnerHTML={{ __html: renderMarkdown(children) }} />;
}

// A description inside a line or a table cell: its Markdown (`code`, *emphasis*) rendered inline.
function Inline({ children }) {
  if (!children) return null;
  return <span className="doc-inline" dangerouslySetInnerHTML={{ __html: renderInlineMarkdown(children) }} />;
}

function Properties({ spec, schema }) {
  const resolved = resolve(spec, schema);
  if (resolved.type === 'array') return <Properties spec={spec} schema={resolved.items} />;
  const properties = Object.entries(resolved.properties || {});
  if (properties.length === 0) return null;
  const required = new Set(resolved.required || []);
  return (
    <table className="doc-table">
      <thead>
        <tr>
          <th scope="col">field</th>
          <th scope="col">type</th>
          <th scope="col">about</th>
        </tr>
      </thead>
      <tbody>
        {properties.map(([name, property]) => (
          <tr key={name}>
            <td>
              <code>{name}</code>
              {required.has(name) && <span className="doc-required"> required</span>}
            </td>
            <td>{describeType(spec, property)}</td>
            <td><Inline>{resolve(spec, property).description}</Inline></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Schema({ spec, schema }) {
  if (!schema) return null;
  const name = refName(schema) || refName(resolve(spec, schema).items);
  return (
    <div className="doc-schema">
      <p>
        <span className="doc-label">Body:</span> {describeType(spec, schema)}
      </p>
      {name && <Text>{resolve(spec, { $ref: `#/components/schemas/${name}` }).description}</Text>}
      <Properties spec={spec} schema={schema} />
    </div>
  );
}

function Parameters({ spec, parameters }) {
  if (parameters.length === 0) return null;
  return (
    <table className="doc-table">
      <caption>Parameters</caption>
      <thead>
        <tr>
          <th scope="col">name</th>
          <th scope="col">in</th>
          <th scope="col">type</th>
          <th scope="col">about</th>
        </tr>
      </thead>
      <tbody>
        {parameters.map((parameter) => (
          <tr key={`${parameter.in}-${parameter.name}`}>
            <td>
              <code>{parameter.name}</code>
              {parameter.required && <span className="doc-required"> required</span>}
            </td>
            <td>{parameter.in}</td>
            <td>{describeType(spec, parameter.schema)}</td>
            <td><Inline>{parameter.description}</Inline></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Response({ spec, status, response }) {
  const resolved = resolve(spec, response);
  const headers = Object.entries(resolved.headers || {});
  const content = Object.entries(resolved.content || {});
  return (
    <li className="doc-response">
      <h4>
        <code>{status}</code> <Inline>{resolved.description}</Inline>
      </h4>
      {headers.length > 0 && (
        <ul className="doc-headers">
          {headers.map(([name, header]) => (
            <li key={name}>
              <code>{name}</code>: <Inline>{resolve(spec, header).description}</Inline>
            </li>
          ))}
        </ul>
      )}
      {content.map(([type, media]) => (
        <div key={type}>
          <p className="doc-label">{type}</p>
          <Schema spec={spec} schema={media.schema} />
        </div>
      ))}
    </li>
  );
}

function Operation({ spec, path, method, operation, shared }) {
  const parameters = [...shared, ...(operation.parameters || [])].map((p) => resolve(spec, p));
  const body = resolve(spec, operation.requestBody);
  const requirements = operation.security ?? spec.security ?? [];
  const optional = requirements.some((item) => Object.keys(item).length === 0);
  const security = requirements.flatMap((item) => Object.keys(item));
  return (
    <section className="doc-operation" id={operation.operationId} aria-labelledby={`${operation.operationId}-title`}>
      <h3 id={`${operation.operationId}-title`}>
        <span className={`doc-method doc-${method}`}>{method.toUpperCase()}</span> <code>{path}</code>
      </h3>
      <Text>{operation.summary}</Text>
      <Text>{operation.description}</Text>
      {security.length > 0 && (
        <p>
          <span className="doc-label">Sign-in:</span> {security.join(' or ')}
          {optional && ' (only where the server is configured to ask for it)'}
        </p>
      )}
      <Parameters spec={spec} parameters={parameters} />
      {body.content && (
        <>
          <p className="doc-label">Request body: {Object.keys(body.content).join(', ')}</p>
          <Schema spec={spec} schema={Object.values(body.content)[0].schema} />
        </>
      )}
      <h4>Answers</h4>
      <ul className="doc-responses">
        {Object.entries(operation.responses || {}).map(([status, response]) => (
          <Response key={status} spec={spec} status={status} response={response} />
        ))}
      </ul>
    </section>
  );
}

export default function ApiReference({ url }) {
  const [spec, setSpec] = useState(null);
  const [failure, setFailure] = useState('');

  useEffect(() => {
    fetch(url, { headers: { Accept: 'application/json' } })
      .then((response) => {
        if (!response.ok) throw new Error(`the description answered ${response.status}`);
        return response.json();
      })
      .then(setSpec, (error) => setFailure(error.message));
  }, [url]);

  if (failure) return <main className="doc-page"><p role="alert">Could not load {url}: {failure}</p></main>;
  if (!spec) return <main className="doc-page"><p>Loading the API description…</p></main>;
  const operations = Object.entries(spec.paths || {}).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => ({ path, method, operation: item[method], shared: item.parameters || [] })),
  );
  return (
    <main className="doc-page">
      <h1>{spec.info.title}</h1>
      <Text>{spec.info.summary}</Text>
      <Text>{spec.info.description}</Text>
      <p>
        The machine-readable description: <a href={url}>{url}</a> (OpenAPI {spec.openapi}).
      </p>
      <nav aria-label="Operations">
        <ul className="doc-toc">
          {operations.map(({ path, method, operation }) => (
            <li key={operation.operationId}>
              <a href={`#${operation.operationId}`}>
                {method.toUpperCase()} {path}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {operations.map(({ path, method, operation, shared }) => (
        <Operation key={operation.operationId} spec={spec} path={path} method={method} operation={operation} shared={shared} />
      ))}
    </main>
  );
}

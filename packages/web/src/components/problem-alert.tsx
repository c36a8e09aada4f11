import { ApiProblem } from '../api/client.js';

/** A problem shown as its title and detail, never as raw JSON; nothing when there is none. */
export function ProblemAlert({ error }: { error: unknown }) {
  if (!error) return null;
  const problem = error instanceof ApiProblem ? error.problem : null;
  const title = problem?.title ?? (error instanceof Error ? error.message : String(error));
  return (
    <div role="alert" className="alert">
      <strong>{title}</strong>
      {problem?.detail && <p>{problem.detail}</p>}
      {problem?.errors && problem.errors.length > 0 && (
        <ul>
          {problem.errors.map((issue) => (
            <li key={`${issue.path}-${issue.message}`}>
              {issue.path ? `${issue.path}: ` : ''}
              {issue.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

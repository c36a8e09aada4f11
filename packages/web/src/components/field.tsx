import type { InputHTMLAttributes } from 'react';

/** An input with its visible label, which is also its accessible name. */
export function Field({
  label,
  ...input
}: { label: string } & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <label>
      {label}
      <input {...input} />
    </label>
  );
}

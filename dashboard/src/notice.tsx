import type { ComponentChildren } from 'preact';

export function ErrorNotice({ message, children }: { message: string; children?: ComponentChildren }) {
  return (
    <div class="notice error" role="alert">
      {message}
      {children}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return <p class="muted loading">Loading {what}…</p>;
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty muted">{children}</p>;
}

/** A small set of 16px stroke icons, drawn here so the app ships no icon font. */
const PATHS = {
  triage: 'M8 1.5 2.5 3.5v4.2c0 3.2 2.3 5.8 5.5 6.8 3.2-1 5.5-3.6 5.5-6.8V3.5L8 1.5Z M8 5v3.5 M8 10.8v.2',
  review: 'M2 9.5h3.2l1 2h3.6l1-2H14 M3.5 3h9l1.5 6.5V13H2V9.5L3.5 3Z',
  datasets:
    'M2.5 3.8c0 1 2.5 1.8 5.5 1.8s5.5-.8 5.5-1.8S11 2 8 2 2.5 2.8 2.5 3.8Zm0 0v8.4c0 1 2.5 1.8 5.5 1.8s5.5-.8 5.5-1.8V3.8 M2.5 8c0 1 2.5 1.8 5.5 1.8s5.5-.8 5.5-1.8',
  jobs: 'M1.5 8.5h2.8l1.9-5 3.4 9 1.9-4h3',
  models: 'M8 1.5 14 4.8v6.4L8 14.5 2 11.2V4.8L8 1.5Z M2 4.8 8 8l6-3.2 M8 8v6.5',
  evaluate: 'M2.5 13.5h11 M4 11V7 M7 11V3.5 M10 11V8 M13 11V5.5',
  settings: 'M2 4.5h6.5 M11.5 4.5H14 M2 11.5h2.5 M7.5 11.5H14 M10 3v3 M6 10v3',
  sun: 'M8 5.2a2.8 2.8 0 1 0 0 5.6 2.8 2.8 0 0 0 0-5.6Z M8 1v1.5 M8 13.5V15 M1 8h1.5 M13.5 8H15 M3 3l1.1 1.1 M11.9 11.9 13 13 M3 13l1.1-1.1 M11.9 4.1 13 3',
  moon: 'M13.5 9.6A5.6 5.6 0 0 1 6.4 2.5a5.6 5.6 0 1 0 7.1 7.1Z',
  keyboard: 'M1.5 4h13v8h-13V4Z M4 6.5h.5 M6.5 6.5H7 M9 6.5h.5 M11.5 6.5h.5 M4.5 9.5h7',
  plus: 'M8 3v10 M3 8h10',
  search: 'M7 2.5a4.5 4.5 0 1 0 0 9 4.5 4.5 0 0 0 0-9Z M10.3 10.3 14 14',
  copy: 'M5.5 5.5h8v8h-8v-8Z M3 10.5H2.5v-8h8V3',
  close: 'M4 4l8 8 M12 4l-8 8',
  message: 'M2.5 3h11v8H7l-3 2.5V11H2.5V3Z',
  arrowRight: 'M3 8h10 M9 4l4 4-4 4',
  info: 'M8 1.8a6.2 6.2 0 1 0 0 12.4A6.2 6.2 0 0 0 8 1.8Z M8 7.2v4 M8 5v.2',
  check: 'M3 8.5 6.5 12 13 4.5',
} as const;

export type IconName = keyof typeof PATHS;

export function Icon({ name, size = 16, className }: { name: IconName; size?: number; className?: string }) {
  return (
    <svg
      className={className ? `icon ${className}` : 'icon'}
      width={size}
      height={size}
      viewBox="0 0 16 16"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.4}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d={PATHS[name]} />
    </svg>
  );
}

// Placeholder preload.
export {};

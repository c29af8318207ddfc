// Placeholder: the Electron shell is written in the electron/ folder (window factory, IPC, preload).
export {};

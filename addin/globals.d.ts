// office.js is a page script, not a module: its globals (Office, Word, PowerPoint) are declared here.
/// <reference types="office-js" />

declare module "*.css";

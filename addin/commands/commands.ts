// The ribbon's function file. The only command opens the task pane (ShowTaskpane in the
// manifest), which needs no code; Office still requires this page to load office.js.
if (typeof Office !== "undefined") void Office.onReady();

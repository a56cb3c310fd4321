// The contract between the server and its clients: the HTTP request, response and event shapes
// (http.ts, zod schemas and their types) and the image formats (formats.ts). The backend (routes,
// jobs, store, OpenAPI document) and the add-in import it from here; it imports nothing but zod,
// so the browser bundle can use it too.
export * from "./http";
export * from "./formats";

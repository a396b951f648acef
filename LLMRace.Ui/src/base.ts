// Where the Api is. Same origin by default: Vite proxies /api and /hubs in development, and the published Api serves
// the UI itself. VITE_PROXY_BASE_URL (as in the original), set when the UI is served or built, points it at an Api
// elsewhere; that Api must list the UI's origin in LLMRACE_CORS_ORIGINS unless both are on this machine.
const base = ((import.meta.env.VITE_PROXY_BASE_URL as string | undefined) ?? "").trim().replace(/\/+$/, "");

export const apiUrl = (path: string): string => `${base}${path}`;

import { defineConfig } from "vite";

// In development the AppHost passes the Api's address; run alone, the Api's dev port.
const api = process.env.LLMRACE_API_URL ?? "http://127.0.0.1:8000";

export default defineConfig({
  server: {
    // The AppHost gives the port in PORT (Vite itself ignores PORT); 3000 when run alone.
    port: Number(process.env.PORT ?? 3000),
    strictPort: true,
    host: "127.0.0.1",
    proxy: {
      "/api": { target: api, changeOrigin: true },
      // SignalR negotiates over HTTP, then upgrades to a WebSocket.
      "/hubs": { target: api, changeOrigin: true, ws: true },
    },
  },
  build: { outDir: "dist", emptyOutDir: true },
});

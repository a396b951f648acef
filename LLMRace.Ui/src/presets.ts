// The original description's connection presets, for a model server on the machine LLMRace runs on (the connection types
// themselves come from the Api: GET /api/meta). In a container, the host's servers are at host.docker.internal instead.

export interface Preset { label: string; type: string; base_url: string; api_key_env_var?: string; note?: string }

const inContainer = (port: number) => `If LLMRace runs in a container, use http://host.docker.internal:${port}.`;

export const presets: Preset[] = [
  { label: "Ollama", type: "OLLAMA", base_url: "http://127.0.0.1:11434", note: inContainer(11434) },
  { label: "LM Studio", type: "OPENAI_COMPAT", base_url: "http://127.0.0.1:1234", note: inContainer(1234) },
  { label: "llama.cpp server", type: "LLAMACPP_OPENAI", base_url: "http://127.0.0.1:8080", note: inContainer(8080) },
  { label: "Jan", type: "LLAMACPP_OPENAI", base_url: "http://127.0.0.1:1337", api_key_env_var: "JAN_API_KEY",
      note: "Jan: API Prefix /v1; Trusted Hosts host.docker.internal,localhost,127.0.0.1. " + inContainer(1337) },
  { label: "OpenAI", type: "OPENAI", base_url: "https://api.openai.com" },
  { label: "Anthropic", type: "ANTHROPIC", base_url: "https://api.anthropic.com" },
  { label: "OpenRouter", type: "OPENROUTER", base_url: "https://openrouter.ai" },
  { label: "LLMRace Simulator", type: "SIMULATOR", base_url: "http://127.0.0.1:8100" },
];

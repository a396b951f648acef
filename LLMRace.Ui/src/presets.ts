// The original description's connection presets (the connection types themselves come from the Api: GET /api/meta).

export interface Preset { label: string; type: string; base_url: string; api_key_env_var?: string; note?: string }

export const presets: Preset[] = [
  { label: "Ollama", type: "OLLAMA", base_url: "http://host.docker.internal:11434",
      note: "From a container; use http://127.0.0.1:11434 on the same machine." },
  { label: "LM Studio", type: "OPENAI_COMPAT", base_url: "http://host.docker.internal:1234" },
  { label: "llama.cpp server", type: "LLAMACPP_OPENAI", base_url: "http://host.docker.internal:8080" },
  { label: "Jan", type: "LLAMACPP_OPENAI", base_url: "http://host.docker.internal:1337", api_key_env_var: "JAN_API_KEY",
      note: "Jan: API Prefix /v1; Trusted Hosts host.docker.internal,localhost,127.0.0.1." },
  { label: "OpenAI", type: "OPENAI", base_url: "https://api.openai.com" },
  { label: "Anthropic", type: "ANTHROPIC", base_url: "https://api.anthropic.com" },
  { label: "OpenRouter", type: "OPENROUTER", base_url: "https://openrouter.ai" },
  { label: "LLMRace Simulator", type: "SIMULATOR", base_url: "http://127.0.0.1:8100" },
];

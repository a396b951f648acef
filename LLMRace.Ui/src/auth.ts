// The access token, when the Api asks for one (LLMRACE_ACCESS_TOKEN): asked once, kept for the session.

const key = "llmrace.access_token";

export function getToken(): string | null {
  return sessionStorage.getItem(key);
}

/** A URL a browser fetches by itself (a download link) carries the token as a query parameter. */
export function withToken(url: string): string {
  const token = getToken();
  return token ? `${url}${url.includes("?") ? "&" : "?"}access_token=${encodeURIComponent(token)}` : url;
}

let asking: Promise<string> | null = null;

/** Shows one dialog however many requests were refused at once; resolves with the token typed. */
export function askForToken(wrong: boolean): Promise<string> {
  asking ??= new Promise<string>((resolve) => {
    const dialog = document.createElement("dialog");
    dialog.className = "token-dialog";
    dialog.innerHTML = `<form method="dialog"><h2>Access token</h2><p></p>`
      + `<label class="field"><span class="field-label">LLMRACE_ACCESS_TOKEN</span>`
      + `<input name="token" type="password" autocomplete="off" required></label>`
      + `<button class="neon-button" type="submit">Enter</button></form>`;
    dialog.querySelector("p")!.textContent = wrong
      ? "That token was not accepted. Try again."
      : "This LLMRace asks for its access token. It is kept for this browser session only.";
    document.body.append(dialog);
    dialog.addEventListener("close", () => {
      const token = (dialog.querySelector("input") as HTMLInputElement).value.trim();
      sessionStorage.setItem(key, token);
      dialog.remove();
      asking = null;
      resolve(token);
    });
    dialog.showModal();
  });
  return asking;
}

// api.js owns talking to the HTTP API: one fetch wrapper that sends and
// reads JSON with the session cookie, and turns an error answer into a
// thrown Error carrying the server's message and the status.

// refusal keeps the error of the latest 401: it says why a session ended
// where the server knows ("account disabled"), for the login page to say.
export const refusal = { reason: "" };

export async function api(method, path, body) {
  const opts = { method, headers: {}, credentials: "same-origin" };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(path, opts);
  let data = null;
  if (res.status !== 204) {
    try { data = await res.json(); } catch { data = null; }
  }
  if (!res.ok) {
    if (res.status === 401) refusal.reason = (data && data.error) || "";
    const err = new Error((data && data.error) || res.statusText || "request failed");
    err.status = res.status;
    throw err;
  }
  return data;
}

// config.js owns the rules the client shares with the server, fetched once
// from GET /api/config at boot so that they are written only in Go: the
// reaction emoji, which files show inline, the largest upload, what user
// and room names look like, the mention pattern and the shortest
// password. Modules read them from `config` after main.js has awaited
// loadConfig.
import { api } from "./api.js";

export const config = {
  loaded: false,
  reactions: [],
  inlineTypes: [],
  maxUpload: 0,      // bytes in one file; 0 while the server does not say
  minPassword: 8,
  usernameRE: null,  // a whole user name
  roomNameRE: null,  // a whole room name
  mentionPattern: "", // the server's @mention pattern's source; its one group is the name (format.js)
  mentionEndRE: null, // a mention ending where the text ends
};

// loadConfig fetches the rules; it throws if the server cannot be reached.
export async function loadConfig() {
  if (config.loaded) return;
  const c = await api("GET", "/api/config");
  config.reactions = c.reactions;
  config.inlineTypes = c.inline_types;
  config.maxUpload = c.max_upload || 0;
  config.minPassword = c.min_password;
  config.usernameRE = new RegExp(c.username_pattern);
  config.roomNameRE = new RegExp(c.room_name_pattern);
  config.mentionPattern = c.mention_pattern;
  config.mentionEndRE = new RegExp("(?:" + c.mention_pattern + ")$");
  config.loaded = true;
}

/** The text the token-stream benchmark's peer streams, one entry a token, repeated. */
export const streamedTokens = ['The', ' engine', ' streams', ' one', ' piece', ' of', ' text', ' per', ' token', ','];

// The bench's streamed reply: N deltas of plain words, a paragraph every 40 deltas, so the
// markdown keeps a realistic shape (many finished blocks, one growing block). Shared by the agent
// server and the checks, so the final text can be compared exactly.
export function replyDeltas(n) {
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = i % 40 === 39 ? `word${i}.\n\n` : `word${i} `;
  return out;
}

export function replyText(n) {
  return replyDeltas(n).join("");
}

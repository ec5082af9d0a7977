/** Escaping for text placed in HTML and SVG (the same five characters for both). */
const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => entities[c] as string)
}

import { type ModelSearch, type ModelSort } from './hubClient';
import { type WeightFormat } from './modelFormats';
import { parseParameterCount } from './modelLookup';

const sortNames: Readonly<Record<string, ModelSort>> = { likes: 'likes', downloads: 'downloads', updated: 'lastModified', recent: 'lastModified', created: 'createdAt' };
const formats: readonly WeightFormat[] = ['onnx', 'safetensors', 'gguf', 'pytorch'];

/**
 * The search box's little language: free words plus `task:`, `format:`, `license:`, `author:`, `sort:`, `max:`, `min:`
 * (`qwen instruct task:text-generation format:onnx max:3B sort:likes`). Unknown or malformed filters stay search words,
 * so nothing the user typed is silently dropped.
 */
export function parseSearchQuery(query: string, limit = 40): ModelSearch {
  const search: ModelSearch = { limit };
  const words: string[] = [];
  for (const token of query.trim().split(/\s+/).filter(Boolean)) {
    const colon = token.indexOf(':');
    const key = colon > 0 ? token.slice(0, colon).toLowerCase() : '';
    const value = colon > 0 ? token.slice(colon + 1) : token;
    if (key === 'task' && value) search.task = value;
    else if (key === 'format' && formats.includes(value as WeightFormat)) search.format = value as WeightFormat;
    else if (key === 'license' && value) search.license = value;
    else if (key === 'author' && value) search.author = value;
    else if (key === 'sort' && sortNames[value]) search.sort = sortNames[value];
    else if ((key === 'max' || key === 'min') && /^[\d.]+[kmb]?$/i.test(value)) {
      if (key === 'max') search.maxParameters = parseParameterCount(value);
      else search.minParameters = parseParameterCount(value);
    } else words.push(token);
  }
  if (words.length > 0) search.text = words.join(' ');
  return search;
}

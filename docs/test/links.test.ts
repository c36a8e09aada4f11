import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const docsDir = join(root, 'docs');
const patternsDir = join(docsDir, 'patterns');
const CODE_SECTION = 'Where it is in the code';

/** Every markdown file under `dir`, leaving out dependencies and hidden folders. */
function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        return entry.name === 'node_modules' || entry.name.startsWith('.')
          ? []
          : markdownFiles(path);
      }
      return entry.name.endsWith('.md') ? [path] : [];
    })
    .sort();
}

/** The pages whose links are checked: everything under docs/, and the README at the root. */
const pages = [...markdownFiles(docsDir), join(root, 'README.md')];
const patternPages = markdownFiles(patternsDir).filter((page) => basename(page) !== 'README.md');

const shown = (path: string) => relative(root, path);
const lineAt = (text: string, index: number) => text.slice(0, index).split('\n').length;

/**
 * The text with code blocks and inline code replaced by spaces, line breaks kept, so that
 * what looks like a link inside code is not read as one and positions stay where they were.
 */
function withoutCode(text: string): string {
  const blank = (part: string) => part.replace(/[^\n]/g, ' ');
  const lines = text.split('\n');
  let fence: string | undefined;
  const outside = lines.map((line) => {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined) {
      if (!marker) return line;
      fence = marker;
      return blank(line);
    }
    if (marker && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
    return blank(line);
  });
  return outside.join('\n').replace(/(`+)[\s\S]*?[^`]\1(?!`)/g, blank);
}

interface Link {
  /** The target as written, such as `../reliability.md#limits`. */
  target: string;
  /** The file or folder it names. */
  path: string;
  line: number;
}

const INLINE_LINK = /\]\(\s*(<[^>]*>|[^)\s]*)(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g;
const REFERENCE_DEFINITION = /^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/gm;

/** The relative links of a page: not web or mail addresses, nor anchors within the page. */
function relativeLinks(page: string, text: string): Link[] {
  const prose = withoutCode(text);
  const found = [...prose.matchAll(INLINE_LINK), ...prose.matchAll(REFERENCE_DEFINITION)];
  return found.flatMap((match) => {
    const target = (match[1] ?? '').replace(/^<|>$/g, '');
    if (target === '' || target.startsWith('#') || /^[a-z][a-z0-9+.-]*:/i.test(target)) return [];
    const file = decodeURI(target.replace(/[?#].*$/, ''));
    const path = file.startsWith('/') ? join(root, file) : resolve(dirname(page), file);
    return [{ target, path, line: lineAt(text, match.index) }];
  });
}

function isCode(path: string): boolean {
  return existsSync(path) && !path.endsWith('.md');
}

/** A file's text, or the text of every file directly in a folder, such as `migrations/`. */
function textOf(path: string): string {
  if (!statSync(path).isDirectory()) return readFileSync(path, 'utf8');
  return readdirSync(path, { withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => readFileSync(join(path, entry.name), 'utf8'))
    .join('\n');
}

interface Bullet {
  text: string;
  line: number;
}

/** The bullets of a page's "Where it is in the code" section, each with its wrapped lines. */
function codeBullets(text: string): Bullet[] {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => new RegExp(`^#{2,6}\\s+${CODE_SECTION}\\s*$`).test(line));
  if (start === -1) return [];
  const bullets: Bullet[] = [];
  for (let index = start + 1; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    if (/^#{1,6}\s/.test(line)) break;
    if (/^\s*[-*+]\s+/.test(line)) bullets.push({ text: line, line: index + 1 });
    else if (line.trim() !== '' && bullets.length > 0) {
      const last = bullets[bullets.length - 1];
      if (last) last.text += `\n${line}`;
    }
  }
  return bullets;
}

const IDENTIFIER_PATH = /^#?[A-Za-z_$][\w$]*(\.#?[A-Za-z_$][\w$]*)*(\(\))?$/;
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether `name` (an identifier, a dotted path of them, or any other code) is in `text`. */
function mentions(text: string, name: string): boolean {
  if (!IDENTIFIER_PATH.test(name)) return text.includes(name);
  return name
    .replace(/\(\)$/, '')
    .split('.')
    .map((part) => part.replace(/^#/, ''))
    .every((part) => new RegExp(`(?<![\\w$])${escapeRegExp(part)}(?![\\w$])`).test(text));
}

describe('the docs', () => {
  it('link only to files and folders that exist', () => {
    const broken = pages.flatMap((page) => {
      const text = readFileSync(page, 'utf8');
      return relativeLinks(page, text)
        .filter((link) => !existsSync(link.path))
        .map((link) => `${shown(page)}:${link.line}: ${link.target} (no ${shown(link.path)})`);
    });

    expect(broken).toEqual([]);
  });

  it('name in "Where it is in the code" only what the linked files contain', () => {
    const missing = patternPages.flatMap((page) => {
      const text = readFileSync(page, 'utf8');
      return codeBullets(text).flatMap((bullet) => {
        const files = relativeLinks(page, bullet.text)
          .map((link) => link.path)
          .filter(isCode);
        const names = [...bullet.text.replace(/\[[^\]]*\]\([^)]*\)/g, '').matchAll(/`([^`]+)`/g)]
          .map((match) => (match[1] ?? '').trim())
          .filter((name) => name !== '');
        const where = `${shown(page)}:${bullet.line}`;
        if (names.length > 0 && files.length === 0) {
          return [
            `${where}: names ${names.map((name) => `\`${name}\``).join(', ')} but links no code`,
          ];
        }
        const texts = files.map(textOf);
        return names
          .filter((name) => !texts.some((fileText) => mentions(fileText, name)))
          .map((name) => `${where}: \`${name}\` is not in ${files.map(shown).join(' or ')}`);
      });
    });

    expect(missing).toEqual([]);
  });

  it('give every pattern page a diagram, the code behind it and its decision records', () => {
    const lacking = patternPages.flatMap((page) => {
      const text = readFileSync(page, 'utf8');
      const links = relativeLinks(page, text);
      return [
        !/^```mermaid\s*$/m.test(text) && 'mermaid diagram',
        !codeBullets(text).some((bullet) =>
          relativeLinks(page, bullet.text).some((link) => isCode(link.path)),
        ) && `"${CODE_SECTION}" list that links code`,
        !links.some((link) => dirname(link.path) === join(docsDir, 'decisions')) &&
          'link to a decision record',
      ]
        .filter((what): what is string => typeof what === 'string')
        .map((what) => `${shown(page)} has no ${what}`);
    });

    expect(patternPages.length).toBeGreaterThan(0);
    expect(lacking).toEqual([]);
  });

  it('list every pattern page in the patterns index', () => {
    const index = join(patternsDir, 'README.md');
    const linked = new Set(
      relativeLinks(index, readFileSync(index, 'utf8')).map((link) => link.path),
    );

    expect(patternPages.filter((page) => !linked.has(page)).map(shown)).toEqual([]);
  });
});

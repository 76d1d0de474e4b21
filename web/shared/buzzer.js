// What the buzzer part's screens share (phone, console, projector): a typed answer of the
// team with the floor as one line of text, as the team sent it.
import { t, lang } from '/assets/shared/i18n.js';
import { formatNumber } from '/assets/play/number.js';

const LETTERS = 'ABCDEFGHIJ';

/** `r` is the response as sent (`{text}`, `{number}`, `{choice}`, …), `q` the public question. */
export function typedText(r, q) {
  if (!r) return '';
  if (r.text !== undefined) return r.text;
  if (r.number !== undefined) return formatNumber(r.number, lang()) + (q && q.unit ? ` ${q.unit}` : '');
  if (r.choice !== undefined) return `${LETTERS[r.choice]}. ${(q && q.options[r.choice]) || ''}`.trim();
  if (r.choices !== undefined) return r.choices.map((i) => LETTERS[i]).join(', ');
  if (r.value !== undefined) return r.value ? t('play.true') : t('play.false');
  return '';
}

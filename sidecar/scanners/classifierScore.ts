import { calibrated } from '../../shared/classifier/calibration.ts';
import type { TextClassifier } from '../../shared/classifier/types.ts';
import { plainFormOfStyled } from './text/styled.ts';

/**
 * A classifier's score for one text on the scanners' scale (see calibrated()). A text written in styled
 * letters is scored in its plain form as well, in the same call, and the higher score counts: restyling
 * must not lower a score, and an ordinary text costs no extra inference.
 */
export async function classifierScore(classifier: TextClassifier, text: string): Promise<number> {
  const plain = plainFormOfStyled(text);
  const raw = await classifier.classify(plain === undefined ? [text] : [text, plain]);
  return calibrated(classifier, Math.max(0, ...raw));
}

//! Turns whatever a transport call rejected with into a code and a sentence for the user.

import { errorText, type Translate } from '../i18n';
import { toTransportError } from '../transport/types';

export interface Failure {
  code: string;
  text: string;
}

export function failure(t: Translate, e: unknown): Failure {
  const err = toTransportError(e);
  return { code: err.code, text: errorText(t, err.code, err.message) };
}

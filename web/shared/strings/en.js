// English: the toggle. Same keys as vi.js; a key missing here falls back to Vietnamese.
export default {
  // --- common ---
  'common.app': 'Study contest',
  'common.connecting': 'Connecting…',
  'common.online': 'Connected',
  'common.offline': 'Connection lost, retrying…',
  'common.revoked': 'This session was revoked.',
  'common.unauthorized': 'Your session has expired. Please sign in again.',
  'common.points': '{n} points',
  'common.rank': 'Rank {n}',
  'common.team': 'Team',
  'common.teams': 'teams',
  'common.total': 'Total',
  'common.question_no': 'Question {no}/{total}',
  'common.signout': 'Sign out',
  'common.loading': 'Loading…',
  'common.close': 'Close',
  'common.cancel': 'Cancel',
  'common.save': 'Save',

  // --- errors from the server, by code ---
  'err.generic': 'Something went wrong. Please try again.',
  'err.network': 'Cannot reach the server. Check the network and try again.',
  'err.not_found': 'Not found.',
  'err.rate_limited': 'Too many failed attempts. Please wait a moment and try again.',
  'err.wrong_credentials': 'Wrong username or password.',
  'err.contest_closed': 'The contest has ended.',
  'err.deadline_passed': 'Time is up: the answer arrived after the deadline and does not count.',
  'err.no_open_question': 'No question is open.',
  'err.question_not_open': 'This question is closed.',
  'err.not_open_yet': 'Answering has not opened yet.',
  'err.paused': 'The question is paused.',
  'err.star_used': 'Your team has already used its star of hope in this part.',
  'err.star_not_allowed': 'This part has no star of hope.',
  'err.not_captain': 'Only the captain may answer.',
  'err.contestant_removed': 'You are no longer in the team.',
  'err.token_revoked': 'This session was revoked.',
  'err.token_expired': 'Your session has expired.',
  'err.forbidden': 'You are not allowed to do this.',
  'err.invalid_state': 'Not possible in the current state.',
  'err.invalid_input': 'Some input is not valid.',
  'err.already_exists': 'An item with that name exists.',
  'err.unavailable': 'The server is briefly unavailable. Please try again.',
  'err.internal': 'The server hit an error. Please tell the organisers.',
  'err.payload_too_large': 'The file or data is too large.',
  'err.part_started': 'The part has started, so this setting cannot change.',

  // --- play (contestant's phone) ---

  // --- console (organiser) ---

  // --- projector ---

  // --- judge ---
};

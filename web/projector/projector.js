// The projector screen.
import { apply } from '/assets/shared/i18n.js';
apply();

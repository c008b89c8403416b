// SPDX-License-Identifier: Apache-2.0
// quire portal: message catalogues (English, German) and the current language: from the
// browser, switchable (the choice is kept in localStorage; it is not a secret).
const en = {
  'app.name': 'quire',
  'app.tagline': 'Print, scan and capture for your organization',
  'app.loading': 'Loading…',
  'app.skip': 'Skip to content',
  'lang.label': 'Language',
  'nav.label': 'Main',
  'nav.home': 'Home',
  'nav.jobs': 'Print jobs',
  'nav.scans': 'Scans',
  'nav.pin': 'PIN and cards',
  'nav.password': 'Password',
  'nav.log': 'My log',
  'auth.signin': 'Sign in',
  'auth.signout': 'Sign out',
  'auth.signedout': 'You are signed out.',
  'auth.idleout': 'You were signed out after 15 minutes without activity.',
  'auth.failed': 'Sign-in did not complete: {msg}',
  'idle.title': 'Still there?',
  'idle.text': 'You will be signed out in {s} seconds because nothing happened for a while.',
  'idle.stay': 'Stay signed in',
  'home.title': 'Welcome, {name}',
  'home.you': 'You',
  'home.username': 'Username',
  'home.org': 'Organization',
  'home.role': 'Role',
  'home.newpin': 'An administrator had a new PIN made for you: {pin}. Use it at the printers; it is shown here this once (and always on the PIN page).',
  'home.quota': 'My print quota this month',
  'home.quota.used': '{used} pages used of {limit}',
  'home.quota.unlimited': '{used} pages used; no limit set',
  'home.quota.remaining': '{n} pages remaining',
  'role.provider_admin': 'Provider admin',
  'role.provider_support': 'Provider support',
  'role.customer_admin': 'Customer admin',
  'role.print_manager': 'Print manager',
  'role.customer_user': 'User',
  'role.guest_user': 'Guest',
  'jobs.title': 'My print jobs',
  'jobs.upload': 'Upload a PDF to print',
  'jobs.file': 'PDF file',
  'jobs.name': 'Job name (optional)',
  'jobs.copies': 'Copies',
  'jobs.color': 'Color',
  'jobs.duplex': 'Two-sided',
  'jobs.submit': 'Upload',
  'jobs.progress': 'Upload progress',
  'jobs.uploaded': '“{name}” is held for release at a printer.',
  'jobs.empty': 'No print jobs. Upload a PDF, or print from your computer, then release it at any printer.',
  'jobs.col.name': 'Name',
  'jobs.col.status': 'Status',
  'jobs.col.pages': 'Pages',
  'jobs.col.created': 'Submitted',
  'jobs.col.expires': 'Expires',
  'jobs.col.actions': 'Actions',
  'jobs.delete': 'Delete {name}',
  'jobs.deleted': '“{name}” was deleted.',
  'status.held': 'Held',
  'status.released': 'Released',
  'status.printed': 'Printed',
  'status.incoming': 'Waiting for the document',
  'status.canceled': 'Canceled',
  'status.aborted': 'Not received',
  'status.uploading': 'Uploading',
  'status.queued': 'Queued',
  'status.processing': 'Processing',
  'status.delivering': 'Delivering',
  'status.done': 'Done',
  'status.failed': 'Failed',
  'scans.title': 'My scans and downloads',
  'scans.empty': 'No scans yet. Scan at a printer with a workflow; documents delivered to your download area appear here.',
  'scans.col.name': 'Name',
  'scans.col.workflow': 'Workflow',
  'scans.col.status': 'Status',
  'scans.col.pages': 'Pages',
  'scans.col.documents': 'Documents',
  'scans.col.actions': 'Actions',
  'scans.download': 'Download {name}',
  'scans.delete': 'Delete scan {name}',
  'scans.deleted': 'The scan “{name}” was deleted.',
  'pin.title': 'My PIN and ID cards',
  'pin.yours': 'Your PIN',
  'pin.none': 'You have no PIN yet.',
  'pin.show': 'Show PIN',
  'pin.hide': 'Hide PIN',
  'pin.mode.pin_only': 'Your organization generates every PIN; the PIN alone signs you in at a printer.',
  'pin.mode.user_pin': 'At a printer you give your username or card and this PIN. Allowed lengths: {lengths} digits.',
  'pin.new': 'New PIN',
  'pin.set': 'Save PIN',
  'pin.generate': 'Generate a PIN',
  'pin.saved': 'Your PIN was saved.',
  'cards.title': 'ID cards',
  'cards.empty': 'No ID cards. Register a card at a printer after signing in there.',
  'cards.col.number': 'Card',
  'cards.col.added': 'Added',
  'cards.delete': 'Delete card {number}',
  'cards.deleted': 'The card was deleted.',
  'password.title': 'Change password',
  'password.current': 'Current password',
  'password.new': 'New password',
  'password.rules': '8 to 64 characters with an upper-case letter, a lower-case letter, a digit and a symbol; not a common password and not containing your username.',
  'password.save': 'Change password',
  'password.saved': 'Your password was changed. Other sessions were signed out.',
  'log.title': 'My log',
  'log.empty': 'Nothing printed, copied or scanned yet.',
  'log.col.time': 'Time',
  'log.col.type': 'Type',
  'log.col.device': 'Device',
  'log.col.pages': 'Pages',
  'log.col.copies': 'Copies',
  'log.col.color': 'Color',
  'log.col.duplex': 'Two-sided',
  'type.print': 'Print',
  'type.copy': 'Copy',
  'type.scan': 'Scan',
  'yes': 'Yes',
  'no': 'No',
  'common.refresh': 'Refresh',
  'common.close': 'Close',
  'error.title': 'Something went wrong',
  'error.network': 'The server cannot be reached. Check your connection and try again.',
  'error.forbidden': 'You may not see this page ({msg}).',
};

const de = {
  'app.tagline': 'Drucken, Scannen und Erfassen für Ihre Organisation',
  'app.loading': 'Wird geladen …',
  'app.skip': 'Zum Inhalt springen',
  'lang.label': 'Sprache',
  'nav.label': 'Hauptmenü',
  'nav.home': 'Start',
  'nav.jobs': 'Druckaufträge',
  'nav.scans': 'Scans',
  'nav.pin': 'PIN und Karten',
  'nav.password': 'Passwort',
  'nav.log': 'Mein Protokoll',
  'auth.signin': 'Anmelden',
  'auth.signout': 'Abmelden',
  'auth.signedout': 'Sie sind abgemeldet.',
  'auth.idleout': 'Sie wurden nach 15 Minuten ohne Aktivität abgemeldet.',
  'auth.failed': 'Die Anmeldung wurde nicht abgeschlossen: {msg}',
  'idle.title': 'Noch da?',
  'idle.text': 'Sie werden in {s} Sekunden abgemeldet, weil eine Weile nichts geschehen ist.',
  'idle.stay': 'Angemeldet bleiben',
  'home.title': 'Willkommen, {name}',
  'home.you': 'Sie',
  'home.username': 'Benutzername',
  'home.org': 'Organisation',
  'home.role': 'Rolle',
  'home.newpin': 'Ein Administrator hat eine neue PIN für Sie erzeugen lassen: {pin}. Verwenden Sie sie an den Druckern; sie wird hier nur dieses eine Mal gezeigt (und immer auf der PIN-Seite).',
  'home.quota': 'Mein Druckkontingent in diesem Monat',
  'home.quota.used': '{used} von {limit} Seiten verbraucht',
  'home.quota.unlimited': '{used} Seiten verbraucht; kein Limit gesetzt',
  'home.quota.remaining': 'noch {n} Seiten',
  'role.provider_admin': 'Provider-Administrator',
  'role.provider_support': 'Provider-Support',
  'role.customer_admin': 'Kunden-Administrator',
  'role.print_manager': 'Druckverwalter',
  'role.customer_user': 'Benutzer',
  'role.guest_user': 'Gast',
  'jobs.title': 'Meine Druckaufträge',
  'jobs.upload': 'PDF zum Drucken hochladen',
  'jobs.file': 'PDF-Datei',
  'jobs.name': 'Auftragsname (optional)',
  'jobs.copies': 'Kopien',
  'jobs.color': 'Farbe',
  'jobs.duplex': 'Beidseitig',
  'jobs.submit': 'Hochladen',
  'jobs.progress': 'Fortschritt des Hochladens',
  'jobs.uploaded': '„{name}“ wartet auf die Freigabe an einem Drucker.',
  'jobs.empty': 'Keine Druckaufträge. Laden Sie ein PDF hoch oder drucken Sie vom Computer und geben Sie den Auftrag an einem Drucker frei.',
  'jobs.col.name': 'Name',
  'jobs.col.status': 'Status',
  'jobs.col.pages': 'Seiten',
  'jobs.col.created': 'Eingereicht',
  'jobs.col.expires': 'Läuft ab',
  'jobs.col.actions': 'Aktionen',
  'jobs.delete': '{name} löschen',
  'jobs.deleted': '„{name}“ wurde gelöscht.',
  'status.held': 'Angehalten',
  'status.released': 'Freigegeben',
  'status.printed': 'Gedruckt',
  'status.incoming': 'Wartet auf das Dokument',
  'status.canceled': 'Abgebrochen',
  'status.aborted': 'Nicht empfangen',
  'status.uploading': 'Wird hochgeladen',
  'status.queued': 'In der Warteschlange',
  'status.processing': 'In Bearbeitung',
  'status.delivering': 'Wird zugestellt',
  'status.done': 'Fertig',
  'status.failed': 'Fehlgeschlagen',
  'scans.title': 'Meine Scans und Downloads',
  'scans.empty': 'Noch keine Scans. Scannen Sie an einem Drucker mit einem Workflow; Dokumente für Ihren Download-Bereich erscheinen hier.',
  'scans.col.name': 'Name',
  'scans.col.workflow': 'Workflow',
  'scans.col.status': 'Status',
  'scans.col.pages': 'Seiten',
  'scans.col.documents': 'Dokumente',
  'scans.col.actions': 'Aktionen',
  'scans.download': '{name} herunterladen',
  'scans.delete': 'Scan {name} löschen',
  'scans.deleted': 'Der Scan „{name}“ wurde gelöscht.',
  'pin.title': 'Meine PIN und Ausweiskarten',
  'pin.yours': 'Ihre PIN',
  'pin.none': 'Sie haben noch keine PIN.',
  'pin.show': 'PIN zeigen',
  'pin.hide': 'PIN verbergen',
  'pin.mode.pin_only': 'Ihre Organisation erzeugt jede PIN; die PIN allein meldet Sie am Drucker an.',
  'pin.mode.user_pin': 'Am Drucker geben Sie Benutzername oder Karte und diese PIN ein. Erlaubte Längen: {lengths} Ziffern.',
  'pin.new': 'Neue PIN',
  'pin.set': 'PIN speichern',
  'pin.generate': 'PIN erzeugen',
  'pin.saved': 'Ihre PIN wurde gespeichert.',
  'cards.title': 'Ausweiskarten',
  'cards.empty': 'Keine Ausweiskarten. Registrieren Sie eine Karte am Drucker, nachdem Sie sich dort angemeldet haben.',
  'cards.col.number': 'Karte',
  'cards.col.added': 'Hinzugefügt',
  'cards.delete': 'Karte {number} löschen',
  'cards.deleted': 'Die Karte wurde gelöscht.',
  'password.title': 'Passwort ändern',
  'password.current': 'Aktuelles Passwort',
  'password.new': 'Neues Passwort',
  'password.rules': '8 bis 64 Zeichen mit Groß- und Kleinbuchstaben, einer Ziffer und einem Sonderzeichen; kein verbreitetes Passwort und ohne Ihren Benutzernamen.',
  'password.save': 'Passwort ändern',
  'password.saved': 'Ihr Passwort wurde geändert. Andere Sitzungen wurden abgemeldet.',
  'log.title': 'Mein Protokoll',
  'log.empty': 'Noch nichts gedruckt, kopiert oder gescannt.',
  'log.col.time': 'Zeit',
  'log.col.type': 'Art',
  'log.col.device': 'Gerät',
  'log.col.pages': 'Seiten',
  'log.col.copies': 'Kopien',
  'log.col.color': 'Farbe',
  'log.col.duplex': 'Beidseitig',
  'type.print': 'Druck',
  'type.copy': 'Kopie',
  'type.scan': 'Scan',
  'yes': 'Ja',
  'no': 'Nein',
  'common.refresh': 'Aktualisieren',
  'common.close': 'Schließen',
  'error.title': 'Etwas ist schiefgegangen',
  'error.network': 'Der Server ist nicht erreichbar. Prüfen Sie die Verbindung und versuchen Sie es erneut.',
  'error.forbidden': 'Sie dürfen diese Seite nicht sehen ({msg}).',
};

export const languages = { en: 'English', de: 'Deutsch' };
const catalogues = { en, de };

function fromBrowser() {
  let saved = null;
  try {
    saved = localStorage.getItem('quire.lang');
  } catch {
    saved = null;
  }
  if (saved && catalogues[saved]) return saved;
  for (const l of navigator.languages || [navigator.language || 'en']) {
    const base = String(l).slice(0, 2).toLowerCase();
    if (catalogues[base]) return base;
  }
  return 'en';
}

let lang = fromBrowser();
document.documentElement.lang = lang;

export function getLang() {
  return lang;
}

export function setLang(l) {
  if (!catalogues[l]) return;
  lang = l;
  document.documentElement.lang = l;
  try {
    localStorage.setItem('quire.lang', l);
  } catch {
    /* private mode: the choice lasts for this page */
  }
}

/**
 * Adds an area's messages ({en: {...}, de: {...}}) to the catalogues; each page module calls it
 * once when it loads, so every area keeps its strings beside its pages.
 */
export function addMessages(extra) {
  for (const [l, msgs] of Object.entries(extra)) {
    if (!catalogues[l]) continue;
    // Areas share one catalogue: a key defined twice would silently change another area's text.
    for (const k of Object.keys(msgs))
      if (k in catalogues[l] && catalogues[l][k] !== msgs[k]) throw new Error(`message ${k} (${l}) is defined twice`);
    Object.assign(catalogues[l], msgs);
  }
}

/** The message key in the current language (English if missing), with {name} filled. */
export function t(key, vars = {}) {
  const s = catalogues[lang][key] ?? en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (all, k) => (k in vars ? String(vars[k]) : all));
}

export function fmtTime(epoch) {
  if (epoch === null || epoch === undefined) return '—';
  return new Date(epoch * 1000).toLocaleString(lang === 'de' ? 'de-DE' : 'en-GB', {
    dateStyle: 'medium',
    timeStyle: 'short',
  });
}

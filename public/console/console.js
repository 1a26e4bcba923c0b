// Dialogs and copy buttons of the admin console; the pages work without it except for opening dialogs.
(function () {
  'use strict';

  function open(dialog) {
    if (!dialog || typeof dialog.showModal !== 'function') return;
    if (dialog.open) dialog.close();
    dialog.showModal();
    var first = dialog.querySelector('input:not([type=hidden]):not([readonly]), button[type=submit], button');
    if (first) first.focus();
  }

  function copy(input, button) {
    var dialog = button.closest('dialog') || document;
    var status = dialog.querySelector('.copied');
    function done(ok) {
      button.textContent = ok ? 'Copied' : 'Copy';
      if (ok && input.hasAttribute('data-once')) dialog.setAttribute('data-copied', '');
      if (status) status.textContent = ok ? button.getAttribute('aria-label').replace(/^Copy /, '') + ' copied to the clipboard.' : 'Select the text and copy it by hand.';
      setTimeout(function () { button.textContent = 'Copy'; }, 2000);
    }
    input.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(function () { done(true); }, function () { done(document.execCommand('copy')); });
    } else {
      done(document.execCommand('copy'));
    }
  }

  document.addEventListener('click', function (event) {
    var target = event.target.closest('[data-dialog], [data-close], [data-copy]');
    if (!target) return;
    if (target.hasAttribute('data-dialog')) open(document.getElementById(target.getAttribute('data-dialog')));
    else if (target.hasAttribute('data-close')) target.closest('dialog').close();
    else copy(document.getElementById(target.getAttribute('data-copy')), target);
  });

  // A value shown once is not lost to a stray Escape: the dialog stays until it was copied or the user says so with
  // its button. Browsers may refuse to cancel Escape without a user gesture, so a close that slipped through reopens it.
  function keepOpen(dialog) {
    var status = dialog.querySelector('.copied');
    if (status) status.textContent = 'Copy it first: it will not be shown again. Then close this with “I have copied it”.';
  }
  document.addEventListener('click', function (event) {
    var button = event.target.closest('[data-confirm-close]');
    if (button) button.closest('dialog').setAttribute('data-copied', '');
  }, true);
  document.addEventListener('cancel', function (event) {
    var dialog = event.target;
    if (!dialog.hasAttribute || !dialog.hasAttribute('data-show-once') || dialog.hasAttribute('data-copied')) return;
    event.preventDefault();
    keepOpen(dialog);
  }, true);
  document.addEventListener('close', function (event) {
    var dialog = event.target;
    if (!dialog.hasAttribute || !dialog.hasAttribute('data-show-once') || dialog.hasAttribute('data-copied')) return;
    dialog.showModal();
    keepOpen(dialog);
  }, true);

  // A dialog the server asks to show (a secret shown once, a form sent back with errors).
  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('dialog[data-show-on-load]').forEach(open);
    // Focus the first field the server found wrong.
    var invalid = document.querySelector('main [aria-invalid=true]');
    if (invalid && !document.querySelector('dialog[open]')) invalid.focus();
  });
})();

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

  // A dialog the server asks to show (a secret shown once, a form sent back with errors).
  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('dialog[data-show-on-load]').forEach(open);
    // Focus the first field the server found wrong.
    var invalid = document.querySelector('main [aria-invalid=true]');
    if (invalid && !document.querySelector('dialog[open]')) invalid.focus();
  });
})();

// Small browser helpers called through JS interop.
window.portal = {
  setCookie: function (name, value, days) {
    document.cookie = name + "=" + encodeURIComponent(value) + ";path=/;max-age=" + (days * 86400) + ";samesite=lax";
  },
  copyText: function (text) {
    return navigator.clipboard ? navigator.clipboard.writeText(text) : Promise.resolve();
  }
};

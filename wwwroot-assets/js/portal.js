// Small browser helpers called through JS interop.
window.portal = {
  setCookie: function (name, value, days) {
    document.cookie = name + "=" + encodeURIComponent(value) + ";path=/;max-age=" + (days * 86400) + ";samesite=lax";
  },
  copyText: function (text) {
    return navigator.clipboard ? navigator.clipboard.writeText(text) : Promise.resolve();
  },
  // Posts the file chosen in the file input matching `selector` to `url` as multipart field "file", with the
  // antiforgery token in a header; reports each new whole percent to `progress` (.NET, UploadProgress(bytes)) and
  // resolves with the answer's status and text (status 0 when the connection failed).
  uploadFile: function (selector, url, token, progress) {
    return new Promise(function (resolve) {
      var input = document.querySelector(selector) || document.querySelector("input[type=file]");
      var file = input && input.files && input.files[0];
      if (!file) {
        resolve({ status: 0, body: "" });
        return;
      }
      var form = new FormData();
      form.append("file", file, file.name);
      var request = new XMLHttpRequest();
      var percent = -1;
      request.open("POST", url);
      request.setRequestHeader("RequestVerificationToken", token);
      request.upload.onprogress = function (e) {
        var now = e.lengthComputable ? Math.floor(100 * e.loaded / e.total) : percent;
        if (now > percent) {
          percent = now;
          progress.invokeMethodAsync("UploadProgress", e.loaded);
        }
      };
      request.onload = function () { resolve({ status: request.status, body: request.responseText }); };
      request.onerror = request.onabort = request.ontimeout = function () { resolve({ status: 0, body: "" }); };
      request.send(form);
    });
  }
};

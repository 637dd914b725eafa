(function () {
  var src = document.currentScript.src, dir = src.slice(0, src.lastIndexOf("/") + 1) + "html-manager/";
  var paths = {};
  ["@jupyter-widgets/base", "@jupyter-widgets/base7", "@jupyter-widgets/controls", "@jupyter-widgets/controls7", "@jupyter-widgets/html-manager", "@jupyter-widgets/html-manager/dist/libembed-amd"].forEach(function (id) { paths[id] = dir + id.split("/").pop(); });
  require.config({paths: paths});
  document.addEventListener("DOMContentLoaded", function () {
    var mj = window.MathJax;
    if (mj && !mj.Hub && mj.typesetPromise) {
      mj.Hub = {Queue: function (job) {
        var el = job && job[2];
        mj.typesetPromise(el ? [el] : undefined).catch(function (e) { console.warn(e); });
      }};
    }
  });
})();

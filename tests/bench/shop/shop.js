// The shop's own script: gallery thumbnails and the cart counter.
document.querySelectorAll(".thumbs button").forEach((b) =>
  b.addEventListener("click", () => {
    document.getElementById("main-image").src = b.dataset.src;
    document.querySelectorAll(".thumbs button").forEach((o) => o.classList.toggle("on", o === b));
  }),
);
document.getElementById("add").addEventListener("click", () => {
  const count = document.getElementById("cart-count");
  count.textContent = String(Number(count.textContent) + Number(document.getElementById("qty").value || 1));
});

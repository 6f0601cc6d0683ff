//! The widget bundle (`index.html`): the page inside the iframe, and the inline-mode module.
fn main() {
    colloquy::start();
}

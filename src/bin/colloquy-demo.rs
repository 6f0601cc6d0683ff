//! The demo and gallery bundle (`demo/index.html`): host-page code, kept out of the widget bundle.
fn main() {
    colloquy::demo::start();
}

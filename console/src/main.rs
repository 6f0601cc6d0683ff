//! The console bundle (`console/index.html`).

fn main() {
    colloquy_console::start();
}

fn main() {
    // The bundled seed is embedded at compile time: rebuild when it changes.
    println!("cargo:rerun-if-changed=seed");
}

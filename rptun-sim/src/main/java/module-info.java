/**
 * rptun's simulator: shared files, futex and socket doorbells, OpenAMP's Linux demo and NuttX's simulator
 * transports. It calls {@code futex(2)} through FFM: on the module path, {@code --enable-native-access=io.rptun.sim}
 * is all it needs.
 */
module io.rptun.sim {
    requires static org.jspecify;
    requires transitive io.rptun.core;
    requires org.slf4j;

    exports io.rptun.sim;
}

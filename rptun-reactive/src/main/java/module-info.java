/** rptun's reactive API: rpmsg endpoints, sockets and NuttX's syslog as backpressured Flux and Mono. */
module io.rptun.reactive {
    requires static org.jspecify;
    requires transitive io.rptun.core;
    requires transitive reactor.core;
    requires transitive org.reactivestreams;
    requires org.slf4j;

    exports io.rptun.reactive;
    exports io.rptun.reactive.nuttx;
    exports io.rptun.reactive.socket;
}

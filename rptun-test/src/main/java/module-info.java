/** Loopback links, a JUnit 5 extension and models of the real peers (NuttX, OpenAMP), for users' tests. */
module io.rptun.test {
    requires static org.jspecify;
    requires transitive io.rptun.core;
    requires transitive io.rptun.sim;
    requires transitive io.rptun.reactive;
    requires transitive org.junit.jupiter.api;
    requires org.junit.platform.commons;

    exports io.rptun.test;
    exports io.rptun.test.contract;
    exports io.rptun.test.nuttx;
    exports io.rptun.test.openamp;
}

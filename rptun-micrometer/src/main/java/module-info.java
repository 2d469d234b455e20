/** Micrometer meter binders for rptun links, devices and reactive channels. */
module io.rptun.micrometer {
    requires static org.jspecify;
    requires transitive io.rptun.core;
    requires transitive io.rptun.reactive;
    requires transitive micrometer.core;

    exports io.rptun.micrometer;
}

/** rptun's core: resource table, address environment, layout, vrings, heap, rpmsg, sockets, NuttX services, OpenAMP's demo profile, lifecycle, in-JVM loopbacks. */
module io.rptun.core {
    requires static org.jspecify;
    requires org.jctools.core.jdk11;
    requires org.slf4j;

    exports io.rptun.core;
    exports io.rptun.core.heap;
    exports io.rptun.core.layout;
    exports io.rptun.core.lifecycle;
    exports io.rptun.core.loopback;
    exports io.rptun.core.memory;
    exports io.rptun.core.nuttx;
    exports io.rptun.core.openamp;
    exports io.rptun.core.rpmsg;
    exports io.rptun.core.rsc;
    exports io.rptun.core.socket;
    exports io.rptun.core.virtio;
}

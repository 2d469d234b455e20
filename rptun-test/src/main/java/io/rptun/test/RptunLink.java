package io.rptun.test;

import io.rptun.sim.RemoteServices;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * How {@link RptunLinkExtension} makes the link for a test method (or every method of a class). Without it
 * the link is {@link Transport#SIM_FILE} with echo and sink.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface RptunLink {
    Transport transport() default Transport.SIM_FILE;

    /** {@code rptun-echo} on the remote. */
    boolean echo() default true;

    /** {@code rptun-sink} on the remote. */
    boolean sink() default true;

    /** The test's own services, each with a public no-argument constructor. */
    Class<? extends RemoteServices>[] services() default {};
}

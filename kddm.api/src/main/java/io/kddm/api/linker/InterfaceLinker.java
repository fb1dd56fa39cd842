package io.kddm.api.linker;

import org.osgi.annotation.versioning.ConsumerType;

import io.kddm.api.set.KddmSet;

/**
 * Glue between a set and an existing interface: a named view of a set (a
 * {@code ConcurrentMap}, a file system, a buffer...). Registered as an OSGi
 * service with {@code kddm.linker.interface} = {@link #name()}; several may
 * serve one set.
 *
 * @param <V> the view's type
 */
@ConsumerType
public interface InterfaceLinker<V> {

    String name();

    Class<V> viewType();

    /** A view of {@code set}; every operation on it is made of kDDM critical sections. */
    V open(KddmSet set);
}

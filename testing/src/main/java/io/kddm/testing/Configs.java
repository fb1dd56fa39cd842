package io.kddm.testing;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Map;

/**
 * A component property type (a configuration annotation) over a map of
 * properties, as SCR makes it: {@code a_b()} reads key {@code a.b}, a missing
 * key gives the default, a text value is converted to the method's type.
 */
public final class Configs {
    private Configs() {
    }

    public static <A extends Annotation> A of(Class<A> type, Map<String, ?> properties) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            switch (method.getName()) {
                case "annotationType":
                    return type;
                case "toString":
                    return type.getSimpleName() + properties;
                case "hashCode":
                    return properties.hashCode();
                case "equals":
                    return proxy == args[0];
                default:
                    Object v = properties.get(method.getName().replace('_', '.'));
                    return v == null ? method.getDefaultValue() : convert(v, method);
            }
        }));
    }

    private static Object convert(Object v, Method method) {
        Class<?> t = method.getReturnType();
        String s = String.valueOf(v).trim();
        if (t == String.class) {
            return String.valueOf(v);
        }
        if (t == String[].class) {
            return v instanceof String[] a ? a : new String[] {String.valueOf(v)};
        }
        if (t == long.class) {
            return Long.parseLong(s);
        }
        if (t == int.class) {
            return Integer.parseInt(s);
        }
        if (t == double.class) {
            return Double.parseDouble(s);
        }
        if (t == boolean.class) {
            return Boolean.parseBoolean(s);
        }
        throw new IllegalArgumentException("no conversion to " + t);
    }
}

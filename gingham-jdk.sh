# shellcheck shell=bash
# gingham-jdk.sh: how Gingham's launchers find a JDK 25 or newer. Sourced by ./gingham and by
# gingham-cni (which a container runtime runs with an almost empty environment, so the search
# covers the usual install directories and /opt/gingham/jdk, where the DaemonSet's installer puts one).
# Needs REQUIRED_JAVA set by the caller.

# Prints the major version of the java binary given, or nothing when it does not run. Reads the
# JDK's release file first (JAVA_VERSION="25.0.1"): starting a JVM only to ask its version would
# cost gingham-cni, a process per CNI call, a JVM start per candidate.
java_major() {
  local v release
  release="$(dirname "$(dirname "$1")")/release"
  if [ -r "$release" ]; then
    v="$(sed -n 's/^JAVA_VERSION="\{0,1\}\([0-9][0-9]*\).*/\1/p' "$release" | head -n1)"
    if [ -n "$v" ]; then
      printf '%s' "$v"
      return 0
    fi
  fi
  v="$("$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1)" || true
  printf '%s' "${v%%.*}"
}

# Finds a JDK whose major version is at least REQUIRED_JAVA and prints its home directory.
find_jdk() {
  local searched=() candidate home
  local candidates=()
  [ -n "${GINGHAM_JAVA_HOME:-}" ] && candidates+=("$GINGHAM_JAVA_HOME")
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  for home in /opt/gingham/jdk /usr/lib/jvm/* /usr/local/lib/jvm/* /opt/java/* /opt/jdk* /opt/*jdk* "${HOME:-/nonexistent}"/.sdkman/candidates/java/* "${HOME:-/nonexistent}"/.jdks/*; do
    [ -d "$home" ] && candidates+=("$home")
  done
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for candidate in "${candidates[@]}"; do
    searched+=("$candidate")
    if [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ]; then
      local major
      major="$(java_major "$candidate/bin/java")"
      if [ -n "$major" ] && [ "$major" -ge "$REQUIRED_JAVA" ] 2>/dev/null; then
        printf '%s' "$candidate"
        return 0
      fi
    fi
  done
  {
    echo "gingham: no JDK $REQUIRED_JAVA or newer found (Gingham uses java.lang.foreign)."
    echo "Looked in: \$GINGHAM_JAVA_HOME, \$JAVA_HOME, /usr/lib/jvm/*, /usr/local/lib/jvm/*, /opt, ~/.sdkman, ~/.jdks and the java on PATH:"
    printf '  %s\n' "${searched[@]:-(nothing found)}"
    echo "Install one (for example Debian's or Temurin's JDK $REQUIRED_JAVA) or point GINGHAM_JAVA_HOME at it."
  } >&2
  return 1
}

#!/usr/bin/env bash
# Builds build/hotsauce-sdk.jar with javac against Debian's Jackson jars (libjackson2-databind-java):
# the generated records (src/generated, `make sdks`) and the hand-written client (src/main).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
JARS="${JACKSON_JARS:-/usr/share/java}"
CP="$JARS/jackson-databind.jar:$JARS/jackson-core.jar:$JARS/jackson-annotations.jar"
for jar in ${CP//:/ }; do
  [ -f "$jar" ] || { echo "missing $jar: apt-get install libjackson2-databind-java" >&2; exit 1; }
done
rm -rf "$HERE/build/classes" && mkdir -p "$HERE/build/classes"
find "$HERE/src" -name '*.java' > "$HERE/build/sources.txt"
javac --release 17 -nowarn -encoding UTF-8 -cp "$CP" -d "$HERE/build/classes" @"$HERE/build/sources.txt"
jar --create --file "$HERE/build/hotsauce-sdk.jar" -C "$HERE/build/classes" .
echo "$CP" > "$HERE/build/classpath.txt"
echo "built $HERE/build/hotsauce-sdk.jar"

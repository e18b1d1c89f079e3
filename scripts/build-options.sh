# shellcheck shell=bash
# Sourced by demo.sh and test.sh: the CMake options of the shared build/ tree, all set
# explicitly. CMake keeps cache options between runs, so a script that left one out would
# inherit whatever the other script set last (demo.sh once turned the tests off for test.sh).
# shellcheck disable=SC2034  # used by the scripts that source this file
kpp_build_options=(-DCMAKE_BUILD_TYPE=Release -DKPP_TESTS=ON -DKPP_BENCH=ON -DKPP_WERROR=ON
                   -DKPP_SANITIZE=OFF -DKPP_FUZZ=OFF)

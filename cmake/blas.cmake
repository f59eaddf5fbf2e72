# CPU BLAS. Default: the scipy-openblas32 wheel from PyPI (a build requirement of the package,
# so `pip install .` needs nothing else); or a system OpenBLAS with -DTESSERA_BLAS=system.
set(TESSERA_BLAS "scipy-openblas32" CACHE STRING "scipy-openblas32 or system")
add_library(tessera_blas INTERFACE)
if(TESSERA_BLAS STREQUAL "scipy-openblas32")
  find_package(Python 3.9 COMPONENTS Interpreter REQUIRED)
  execute_process(
    COMMAND "${Python_EXECUTABLE}" -c "import scipy_openblas32 as s; print(s.get_include_dir()); print(s.get_lib_dir())"
    OUTPUT_VARIABLE _blas_out RESULT_VARIABLE _blas_rc OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT _blas_rc EQUAL 0)
    message(FATAL_ERROR "tessera: scipy-openblas32 not importable; pip install scipy-openblas32 or use -DTESSERA_BLAS=system")
  endif()
  string(REPLACE "\n" ";" _blas_list "${_blas_out}")
  list(GET _blas_list 0 TESSERA_BLAS_INCLUDE)
  list(GET _blas_list 1 TESSERA_BLAS_LIBDIR)
  target_include_directories(tessera_blas INTERFACE ${TESSERA_BLAS_INCLUDE})
  target_link_libraries(tessera_blas INTERFACE ${TESSERA_BLAS_LIBDIR}/libscipy_openblas.so)
  target_compile_definitions(tessera_blas INTERFACE TS_BLAS_SCIPY_OPENBLAS=1)
else()
  find_package(BLAS REQUIRED)
  find_path(TESSERA_BLAS_INCLUDE cblas.h PATH_SUFFIXES openblas)
  target_include_directories(tessera_blas INTERFACE ${TESSERA_BLAS_INCLUDE})
  target_link_libraries(tessera_blas INTERFACE ${BLAS_LIBRARIES})
  set(TESSERA_BLAS_LIBDIR "")
endif()


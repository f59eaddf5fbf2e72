# The caching allocator's logic is plain C++ and always built (its tests run on CPU); only the
# CUDA runtime binding of DeviceMemoryApi needs the toolkit.
file(GLOB TESSERA_CUDA_ALLOCATOR_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/csrc/cuda/allocator/*.cpp)
list(FILTER TESSERA_CUDA_ALLOCATOR_SOURCES EXCLUDE REGEX "cuda_memory_api\\.cpp$")
target_sources(tessera_core PRIVATE ${TESSERA_CUDA_ALLOCATOR_SOURCES})
if(TESSERA_CUDA)
  find_package(CUDAToolkit REQUIRED)
  target_sources(tessera_core PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/csrc/cuda/allocator/cuda_memory_api.cpp)
  target_link_libraries(tessera_core PRIVATE CUDA::cudart)
endif()

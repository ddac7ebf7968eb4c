/**
 * The small part of the WebGPU API this backend uses, declared here so that the library needs no
 * type package and its emitted declarations stay free of WebGPU globals. Usage and map flags are
 * numbers (the spec's values), so no global constants are needed either (Node's `webgpu` package
 * provides them only when its globals are installed).
 */

export const BufferUsage = {
  MAP_READ: 0x1,
  COPY_SRC: 0x4,
  COPY_DST: 0x8,
  UNIFORM: 0x40,
  STORAGE: 0x80,
} as const;

export const MAP_READ = 0x1;

export interface GPUBufferLike {
  readonly size: number;
  mapAsync(mode: number, offset?: number, size?: number): Promise<void>;
  getMappedRange(offset?: number, size?: number): ArrayBuffer;
  unmap(): void;
  destroy(): void;
}

export interface GPUBindGroupLayoutLike {
  readonly label: string;
}

export interface GPUBindGroupLike {
  readonly label: string;
}

export interface GPUComputePipelineLike {
  getBindGroupLayout(index: number): GPUBindGroupLayoutLike;
}

export interface GPUShaderModuleLike {
  getCompilationInfo?(): Promise<{ messages: readonly { type: string; message: string; lineNum: number }[] }>;
}

export interface GPUComputePassLike {
  setPipeline(p: GPUComputePipelineLike): void;
  setBindGroup(index: number, group: GPUBindGroupLike): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
  end(): void;
}

export interface GPUCommandBufferLike {
  readonly label: string;
}

export interface GPUCommandEncoderLike {
  beginComputePass(): GPUComputePassLike;
  copyBufferToBuffer(
    src: GPUBufferLike,
    srcOffset: number,
    dst: GPUBufferLike,
    dstOffset: number,
    size: number,
  ): void;
  finish(): GPUCommandBufferLike;
}

export interface GPUQueueLike {
  submit(buffers: GPUCommandBufferLike[]): void;
  writeBuffer(buffer: GPUBufferLike, offset: number, data: ArrayBufferView | ArrayBuffer): void;
  onSubmittedWorkDone(): Promise<void>;
}

export interface GPUBindingEntry {
  binding: number;
  resource: { buffer: GPUBufferLike; offset?: number; size?: number };
}

export interface GPUDeviceLike {
  readonly queue: GPUQueueLike;
  readonly limits: Readonly<Record<string, number>>;
  readonly lost: Promise<{ reason: string; message: string }>;
  createBuffer(desc: {
    size: number;
    usage: number;
    mappedAtCreation?: boolean;
    label?: string;
  }): GPUBufferLike;
  createShaderModule(desc: { code: string; label?: string }): GPUShaderModuleLike;
  createComputePipeline(desc: {
    layout: 'auto';
    compute: { module: GPUShaderModuleLike; entryPoint: string };
    label?: string;
  }): GPUComputePipelineLike;
  createBindGroup(desc: { layout: GPUBindGroupLayoutLike; entries: GPUBindingEntry[] }): GPUBindGroupLike;
  createCommandEncoder(): GPUCommandEncoderLike;
  addEventListener(type: 'uncapturederror', listener: (e: { error: { message: string } }) => void): void;
  pushErrorScope(filter: 'validation' | 'out-of-memory' | 'internal'): void;
  popErrorScope(): Promise<{ message: string } | null>;
  destroy(): void;
}

export interface GPUAdapterLike {
  readonly info?: { vendor: string; architecture: string; device: string; description: string };
  readonly limits: Readonly<Record<string, number>>;
  requestDevice(desc?: { requiredLimits?: Record<string, number> }): Promise<GPUDeviceLike>;
}

export interface GPULike {
  requestAdapter(options?: {
    powerPreference?: 'low-power' | 'high-performance';
  }): Promise<GPUAdapterLike | null>;
}

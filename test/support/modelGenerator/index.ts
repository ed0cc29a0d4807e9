export { generateEncoderModel, miniLmL6Shape, type EncoderOptions, type GeneratedModel } from './encoder';
export { generateDecoderModel, qwen25HalfBShape, type DecoderOptions } from './decoder';
export { type WeightFormat } from './layers';

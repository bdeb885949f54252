"""Data Stage: one table per record type (501–512, 520, 551–558, 701, 702, Sel, Inci, Resumen).

Revision ID: datastage_0001
Revises:
Create Date: 2026-11-23
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from immex.store.types import ExactDecimal

revision: str = "datastage_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("datastage",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ds_incidencia',
    sa.Column('patente', sa.String(length=4), nullable=False),
    sa.Column('pedimento', sa.String(length=7), nullable=False),
    sa.Column('seccion_aduanera', sa.String(length=3), nullable=False),
    sa.Column('linea', sa.Integer(), nullable=False),
    sa.Column('consecutivo_remesa', sa.String(), nullable=True),
    sa.Column('numero_seleccion', sa.String(), nullable=True),
    sa.Column('fecha_inicio_reconocimiento', sa.String(), nullable=True),
    sa.Column('hora_inicio_reconocimiento', sa.String(), nullable=True),
    sa.Column('fecha_fin_reconocimiento', sa.String(), nullable=True),
    sa.Column('hora_fin_reconocimiento', sa.String(), nullable=True),
    sa.Column('fraccion', sa.String(), nullable=True),
    sa.Column('secuencia_fraccion', sa.String(), nullable=True),
    sa.Column('clave_documento', sa.String(), nullable=True),
    sa.Column('tipo_operacion', sa.String(), nullable=True),
    sa.Column('grado_incidencia', sa.String(), nullable=True),
    sa.Column('fecha_seleccion', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('patente', 'pedimento', 'seccion_aduanera', 'linea', name='pk_ds_incidencia')
    )
    op.create_table('ds_pedimento',
    sa.Column('patente', sa.String(length=4), nullable=False),
    sa.Column('pedimento', sa.String(length=7), nullable=False),
    sa.Column('seccion_aduanera', sa.String(length=3), nullable=False),
    sa.Column('tipo_operacion', sa.String(), nullable=True),
    sa.Column('clave_documento', sa.String(), nullable=True),
    sa.Column('seccion_aduanera_entrada', sa.String(), nullable=True),
    sa.Column('curp_contribuyente', sa.String(), nullable=True),
    sa.Column('rfc', sa.String(), nullable=True),
    sa.Column('curp_agente_a', sa.String(), nullable=True),
    sa.Column('tipo_cambio', sa.String(), nullable=True),
    sa.Column('total_fletes', sa.String(), nullable=True),
    sa.Column('total_seguros', sa.String(), nullable=True),
    sa.Column('total_embalajes', sa.String(), nullable=True),
    sa.Column('total_incrementables', sa.String(), nullable=True),
    sa.Column('total_deducibles', sa.String(), nullable=True),
    sa.Column('peso_bruto_mercancia', sa.String(), nullable=True),
    sa.Column('medio_transporte_salida', sa.String(), nullable=True),
    sa.Column('medio_transporte_arribo', sa.String(), nullable=True),
    sa.Column('medio_transporte_entrada_salida', sa.String(), nullable=True),
    sa.Column('destino_mercancia', sa.String(), nullable=True),
    sa.Column('nombre_contribuyente', sa.String(), nullable=True),
    sa.Column('calle_contribuyente', sa.String(), nullable=True),
    sa.Column('num_interior_contribuyente', sa.String(), nullable=True),
    sa.Column('num_exterior_contribuyente', sa.String(), nullable=True),
    sa.Column('cp_contribuyente', sa.String(), nullable=True),
    sa.Column('municipio_contribuyente', sa.String(), nullable=True),
    sa.Column('entidad_fed_contribuyente', sa.String(), nullable=True),
    sa.Column('pais_contribuyente', sa.String(), nullable=True),
    sa.Column('tipo_pedimento', sa.String(), nullable=True),
    sa.Column('fecha_recepcion_pedimento', sa.String(), nullable=True),
    sa.Column('fecha_pago_real', sa.String(), nullable=True),
    sa.Column('numero', sa.String(length=15), nullable=False),
    sa.Column('fecha_pago', sa.Date(), nullable=False),
    sa.Column('folio', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('patente', 'pedimento', 'seccion_aduanera', name='pk_ds_pedimento')
    )
    op.create_index('ix_ds_pedimento_numero', 'ds_pedimento', ['numero'], unique=False)
    op.create_table('ds_resumen',
    sa.Column('folio', sa.String(), nullable=False),
    sa.Column('linea', sa.Integer(), nullable=False),
    sa.Column('rf_co_patente_aduanal', sa.String(), nullable=True),
    sa.Column('fecha_inicial', sa.String(), nullable=True),
    sa.Column('fecha_final', sa.String(), nullable=True),
    sa.Column('fecha_ejecucion', sa.String(), nullable=True),
    sa.Column('total_fracciones', sa.String(), nullable=True),
    sa.Column('total_contribuciones', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('folio', 'linea', name='pk_ds_resumen')
    )
    op.create_table('ds_seleccion',
    sa.Column('patente', sa.String(length=4), nullable=False),
    sa.Column('pedimento', sa.String(length=7), nullable=False),
    sa.Column('seccion_aduanera', sa.String(length=3), nullable=False),
    sa.Column('linea', sa.Integer(), nullable=False),
    sa.Column('consecutivo_remesa', sa.String(), nullable=True),
    sa.Column('numero_seleccion', sa.String(), nullable=True),
    sa.Column('fecha_seleccion', sa.String(), nullable=True),
    sa.Column('hora_seleccion', sa.String(), nullable=True),
    sa.Column('semaforo_fiscal', sa.String(), nullable=True),
    sa.Column('clave_documento', sa.String(), nullable=True),
    sa.Column('tipo_operacion', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('patente', 'pedimento', 'seccion_aduanera', 'linea', name='pk_ds_seleccion')
    )
    op.create_table('ds_contenedor',
    sa.Column('patente', sa.String(length=4), nullable=False),
    sa.Column('pedimento', sa.String(length=7), nullable=False),
    sa.Column('seccion_aduanera', sa.String(length=3), nullable=False),
    sa.Column('linea', sa.Integer(), nullable=False),
    sa.Column('num_contenedor', sa.String(), nullable=True),
    sa.Column('tipo_contenedor', sa.String(), nullable=True),
    sa.Column('fecha_pago_real', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['patente', 'pedimento', 'seccion_aduanera'], ['ds_pedimento.patente', 'ds_pedimento.pedimento', 'ds_pedimento.seccion_aduanera'], name='fk_ds_contenedor_pedimento'),
    sa.PrimaryKeyConstraint('patente', 'pedimento', 'seccion_aduanera', 'linea', name='pk_ds_contenedor')
    )
    op.create_table('ds_contribucion',
    sa.Column('patente', sa.String(length=4), nullable=False),
    sa.Column('pedimento', sa.String(length=7), nullable=False),
    sa.Column('seccion_aduanera', sa.String(length=3), nullable=False),
    sa.Column('linea', sa.Integer(), nullable=False),
    sa.Column('clave_contribucion', sa.String(), nullable=True),
    sa.Column('forma_pago', sa.String(), nullable=True),
    sa.Column('importe_pago', sa.String(), nullable=True),
    sa.Column('tipo_pedimento', sa.String(), nullable=True),
    sa.Column('fecha_pago_real', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['patente', 'pedimento', 'seccion_aduanera'], ['ds_pedimento.patente', 'ds_pedimento.pedimento', 'ds_pedimento.seccion_aduanera'], name='fk_ds_contribucion_pedimento'),
    sa.PrimaryKeyConstraint('patente', 'pedimento', 'seccion_aduanera', 'linea', name='pk_ds_contribucion')
    )
    op.create_table('ds_cuenta_garantia',
    sa.Column('patente', sa.String(length=4), nullable=False),
    sa.Column('pedimento', sa.String(length=7), nullable=False),
    sa.Column('seccion_aduanera', sa.String(length=3), nullable=False),
    sa.Column('linea', sa.Integer(), nullable=False),
    sa.Column('institucion_emisora', sa.String(), nullable=True),
    sa.Column('numero_cuenta', sa.String(), nullable=True),
    sa.Column('folio_constancia', sa.String(), nullable=True),
    sa.Column('fecha_constancia', sa.String(), nullable=True),
    sa.Column('tipo_cuenta', sa.String(), nullable=True),
    sa.Column('clave_garantia', sa.String(), nullable=True),
    sa.Column('valor_unitario_titulo', sa.String(), nullable=True),
    sa.Column('total_garantia', sa.String(), nullable=True),
    sa.Column('cantidad_unidades', sa.String(), nullable=True),
    sa.Column('titulos_asignados', sa.String(), nullable=True),
    sa.Column('fecha_pago_real', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['patente', 'pedimento', 'seccion_aduanera'], ['ds_pedimento.patente', 'ds_pedimento.pedimento', 'ds_pedimento.seccion_aduanera'], name='fk_ds_cuenta_garantia_pedimento'),
    sa.PrimaryKeyConstraint('patente', 'pedimento', 'seccion_aduanera', 'linea', name='pk_ds_cuenta_garantia')
    )
    op.create_table('ds_descargo',
    sa.Column('patente', sa.String(length=4), nullable=False),
    sa.Column('pedimento', sa.String(length=7), nullable=False),
    sa.Column('seccion_aduanera', sa.String(length=3), nullable=False),
    sa.Column('linea', sa.Integer(), nullable=False),
    sa.Column('patente_aduanal_orig', sa.String(), nullable=True),
    sa.Column('pedimento_original', sa.String(), nullable=True),
    sa.Column('seccion_aduanera_desp_orig', sa.String(), nullable=True),
    sa.Column('documento_original', sa.String(), nullable=True),
    sa.Column('fecha_operacion_orig', sa.String(), nullable=True),
    sa.Column('fraccion_original', sa.String(), nullable=True),
    sa.Column('unidad_medida', sa.String(), nullable=True),
    sa.Column('mercancia_descargada', sa.String(), nullable=True),
    sa.Column('tipo_pedimento', sa.String(), nullable=True),
    sa.Column('fecha_pago_real', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['patente', 'pedimento', 'seccion_aduanera'], ['ds_pedimento.patente', 'ds_pedimento.pedimento', 'ds_pedimento.seccion_aduanera'], name='fk_ds_descargo_pedimento'),
    sa.PrimaryKeyConstraint('patente', 'pedimento', 'seccion_aduanera', 'linea', name='pk_ds_descargo')
    )
    op.create_table('ds_destinatario',
    sa.Column('patente', sa.String(length=4), nullable=False),
    sa.Column('pedimento', sa.String(length=7), nullable=False),
    sa.Column('seccion_aduanera', sa.String(length=3), nullable=False),
    sa.Column('linea', sa.Integer(), nullable=False),
    sa.Column('indent_fiscal_destinatario', sa.String(), nullable=True),
    sa.Column('nombre_destinatario_mercancia', sa.String(), nullable=True),
    sa.Column('calle_destinatario', sa.String(), nullable=True),
    sa.Column('num_interior_destinatario', sa.String(), nullable=True),
    sa.Column('num_exterior_destinatario', sa.String(), nullable=True),
    sa.Column('cp_destinatario', sa.String(), nullable=True),
    sa.Column('municpio_destinatario', sa.String(), nullable=True),
    sa.Column('pais_destinatario', sa.String(), nullable=True),
    sa.Column('fecha_pago_real', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['patente', 'pedimento', 'seccion_aduanera'], ['ds_pedimento.patente', 'ds_pedimento.pedimento', 'ds_pedimento.seccion_aduanera'], name='fk_ds_destinatario_pedimento'),
    sa.PrimaryKeyConstraint('patente', 'pedimento', 'seccion_aduanera', 'linea', name='pk_ds_destinatario')
    )
    op.create_table('ds_factura',
    sa.Column('patente', sa.String(length=4), nullable=False),
    sa.Column('pedimento', sa.String(length=7), nullable=False),
    sa.Column('seccion_aduanera', sa.String(length=3), nullable=False),
    sa.Column('linea', sa.Integer(), nullable=False),
    sa.Column('fecha_facturacion', sa.String(), nullable=True),
    sa.Column('numero_factura', sa.String(), nullable=True),
    sa.Column('termino_facturacion', sa.String(), nullable=True),
    sa.Column('moneda_facturacion', sa.String(), nullable=True),
    sa.Column('valor_dolares', sa.String(), nullable=True),
    sa.Column('valor_moneda_extranjera', sa.String(), nullable=True),
    sa.Column('pais_facturacion', sa.String(), nullable=True),
    sa.Column('entidad_fed_facturacion', sa.String(), nullable=True),
    sa.Column('indent_fiscal_proveedor', sa.String(), nullable=True),
    sa.Column('proveedor_mercancia', sa.String(), nullable=True),
    sa.Column('calle_proveedor', sa.String(), nullable=True),
    sa.Column('num_interior_proveedor', sa.String(), nullable=True),
    sa.Column('num_exterior_proveedor', sa.String(), nullable=True),
    sa.Column('cp_proveedor', sa.String(), nullable=True),
    sa.Column('municipio_proveedor', sa.String(), nullable=True),
    sa.Column('fecha_pago_real', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['patente', 'pedimento', 'seccion_aduanera'], ['ds_pedimento.patente', 'ds_pedimento.pedimento', 'ds_pedimento.seccion_aduanera'], name='fk_ds_factura_pedimento'),
    sa.PrimaryKeyConstraint('patente', 'pedimento', 'seccion_aduanera', 'linea', name='pk_ds_factura')
    )
    op.create_table('ds_fecha',
    sa.Column('patente', sa.String(length=4), nullable=False),
    sa.Column('pedimento', sa.String(length=7), nullable=False),
    sa.Column('seccion_aduanera', sa.String(length=3), nullable=False),
    sa.Column('linea', sa.Integer(), nullable=False),
    sa.Column('tipo_fecha', sa.String(), nullable=True),
    sa.Column('fecha_operacion', sa.String(), nullable=True),
    sa.Column('fecha_validacion_pago_r', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['patente', 'pedimento', 'seccion_aduanera'], ['ds_pedimento.patente', 'ds_pedimento.pedimento', 'ds_pedimento.seccion_aduanera'], name='fk_ds_fecha_pedimento'),
    sa.PrimaryKeyConstraint('patente', 'pedimento', 'seccion_aduanera', 'linea', name='pk_ds_fecha')
    )
    op.create_table('ds_guia',
    sa.Column('patente', sa.String(length=4), nullable=False),
    sa.Column('pedimento', sa.String(length=7), nullable=False),
    sa.Column('seccion_aduanera', sa.String(length=3), nullable=False),
    sa.Column('linea', sa.Integer(), nullable=False),
    sa.Column('numero_guia', sa.String(), nullable=True),
    sa.Column('tipo_guia', sa.String(), nullable=True),
    sa.Column('fecha_pago_real', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['patente', 'pedimento', 'seccion_aduanera'], ['ds_pedimento.patente', 'ds_pedimento.pedimento', 'ds_pedimento.seccion_aduanera'], name='fk_ds_guia_pedimento'),
    sa.PrimaryKeyConstraint('patente', 'pedimento', 'seccion_aduanera', 'linea', name='pk_ds_guia')
    )
    op.create_table('ds_identificador',
    sa.Column('patente', sa.String(length=4), nullable=False),
    sa.Column('pedimento', sa.String(length=7), nullable=False),
    sa.Column('seccion_aduanera', sa.String(length=3), nullable=False),
    sa.Column('linea', sa.Integer(), nullable=False),
    sa.Column('clave_caso', sa.String(), nullable=True),
    sa.Column('identificador_caso', sa.String(), nullable=True),
    sa.Column('tipo_pedimento', sa.String(), nullable=True),
    sa.Column('complemento_caso', sa.String(), nullable=True),
    sa.Column('fecha_validacion_pago_r', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['patente', 'pedimento', 'seccion_aduanera'], ['ds_pedimento.patente', 'ds_pedimento.pedimento', 'ds_pedimento.seccion_aduanera'], name='fk_ds_identificador_pedimento'),
    sa.PrimaryKeyConstraint('patente', 'pedimento', 'seccion_aduanera', 'linea', name='pk_ds_identificador')
    )
    op.create_table('ds_observacion',
    sa.Column('patente', sa.String(length=4), nullable=False),
    sa.Column('pedimento', sa.String(length=7), nullable=False),
    sa.Column('seccion_aduanera', sa.String(length=3), nullable=False),
    sa.Column('linea', sa.Integer(), nullable=False),
    sa.Column('secuencia_observacion', sa.String(), nullable=True),
    sa.Column('observaciones', sa.String(), nullable=True),
    sa.Column('tipo_pedimento', sa.String(), nullable=True),
    sa.Column('fecha_validacion_pago_r', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['patente', 'pedimento', 'seccion_aduanera'], ['ds_pedimento.patente', 'ds_pedimento.pedimento', 'ds_pedimento.seccion_aduanera'], name='fk_ds_observacion_pedimento'),
    sa.PrimaryKeyConstraint('patente', 'pedimento', 'seccion_aduanera', 'linea', name='pk_ds_observacion')
    )
    op.create_table('ds_partida',
    sa.Column('patente', sa.String(length=4), nullable=False),
    sa.Column('pedimento', sa.String(length=7), nullable=False),
    sa.Column('seccion_aduanera', sa.String(length=3), nullable=False),
    sa.Column('fraccion', sa.String(), nullable=True),
    sa.Column('secuencia_fraccion', sa.Integer(), nullable=False),
    sa.Column('subdivision_fraccion', sa.String(), nullable=True),
    sa.Column('descripcion_mercancia', sa.String(), nullable=True),
    sa.Column('precio_unitario', sa.String(), nullable=True),
    sa.Column('valor_aduana', sa.String(), nullable=True),
    sa.Column('valor_comercial', sa.String(), nullable=True),
    sa.Column('valor_dolares', ExactDecimal(), nullable=False),
    sa.Column('cantidad_um_comercial', ExactDecimal(), nullable=False),
    sa.Column('unidad_medida_comercial', sa.String(), nullable=True),
    sa.Column('cantidad_um_tarifa', sa.String(), nullable=True),
    sa.Column('unidad_medida_tarifa', sa.String(), nullable=True),
    sa.Column('valor_agregado', sa.String(), nullable=True),
    sa.Column('clave_vinculacion', sa.String(), nullable=True),
    sa.Column('metodo_valorizacion', sa.String(), nullable=True),
    sa.Column('codigo_mercancia_producto', sa.String(), nullable=True),
    sa.Column('marca_mercancia_producto', sa.String(), nullable=True),
    sa.Column('modelo_mercancia_producto', sa.String(), nullable=True),
    sa.Column('pais_origen_destino', sa.String(), nullable=True),
    sa.Column('pais_comprador_vendedor', sa.String(), nullable=True),
    sa.Column('entidad_fed_origen', sa.String(), nullable=True),
    sa.Column('entidad_fed_destino', sa.String(), nullable=True),
    sa.Column('entidad_fed_comprador', sa.String(), nullable=True),
    sa.Column('entidad_fed_vendedor', sa.String(), nullable=True),
    sa.Column('tipo_operacion', sa.String(), nullable=True),
    sa.Column('clave_documento', sa.String(), nullable=True),
    sa.Column('fecha_pago_real', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['patente', 'pedimento', 'seccion_aduanera'], ['ds_pedimento.patente', 'ds_pedimento.pedimento', 'ds_pedimento.seccion_aduanera'], name='fk_ds_partida_pedimento'),
    sa.PrimaryKeyConstraint('patente', 'pedimento', 'seccion_aduanera', 'secuencia_fraccion', name='pk_ds_partida')
    )
    op.create_table('ds_rectificacion',
    sa.Column('patente', sa.String(length=4), nullable=False),
    sa.Column('pedimento', sa.String(length=7), nullable=False),
    sa.Column('seccion_aduanera', sa.String(length=3), nullable=False),
    sa.Column('linea', sa.Integer(), nullable=False),
    sa.Column('clave_documento', sa.String(), nullable=True),
    sa.Column('fecha_pago', sa.String(), nullable=True),
    sa.Column('pedimento_anterior', sa.String(), nullable=True),
    sa.Column('patente_anterior', sa.String(), nullable=True),
    sa.Column('seccion_aduanera_anterior', sa.String(), nullable=True),
    sa.Column('documento_anterior', sa.String(), nullable=True),
    sa.Column('fecha_operacion_anterior', sa.String(), nullable=True),
    sa.Column('pedimento_original', sa.String(), nullable=True),
    sa.Column('patente_aduanal_orig', sa.String(), nullable=True),
    sa.Column('seccion_aduanera_desp_orig', sa.String(), nullable=True),
    sa.Column('fecha_pago_real', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['patente', 'pedimento', 'seccion_aduanera'], ['ds_pedimento.patente', 'ds_pedimento.pedimento', 'ds_pedimento.seccion_aduanera'], name='fk_ds_rectificacion_pedimento'),
    sa.PrimaryKeyConstraint('patente', 'pedimento', 'seccion_aduanera', 'linea', name='pk_ds_rectificacion')
    )
    op.create_table('ds_rectificacion_contribucion',
    sa.Column('patente', sa.String(length=4), nullable=False),
    sa.Column('pedimento', sa.String(length=7), nullable=False),
    sa.Column('seccion_aduanera', sa.String(length=3), nullable=False),
    sa.Column('linea', sa.Integer(), nullable=False),
    sa.Column('clave_contribucion', sa.String(), nullable=True),
    sa.Column('forma_pago', sa.String(), nullable=True),
    sa.Column('importe_pago', sa.String(), nullable=True),
    sa.Column('tipo_pedimento', sa.String(), nullable=True),
    sa.Column('fecha_pago_real', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['patente', 'pedimento', 'seccion_aduanera'], ['ds_pedimento.patente', 'ds_pedimento.pedimento', 'ds_pedimento.seccion_aduanera'], name='fk_ds_rectificacion_contribucion_pedimento'),
    sa.PrimaryKeyConstraint('patente', 'pedimento', 'seccion_aduanera', 'linea', name='pk_ds_rectificacion_contribucion')
    )
    op.create_table('ds_tasa',
    sa.Column('patente', sa.String(length=4), nullable=False),
    sa.Column('pedimento', sa.String(length=7), nullable=False),
    sa.Column('seccion_aduanera', sa.String(length=3), nullable=False),
    sa.Column('linea', sa.Integer(), nullable=False),
    sa.Column('clave_contribucion', sa.String(), nullable=True),
    sa.Column('tasa_contribucion', sa.String(), nullable=True),
    sa.Column('tipo_tasa', sa.String(), nullable=True),
    sa.Column('tipo_pedimento', sa.String(), nullable=True),
    sa.Column('fecha_pago_real', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['patente', 'pedimento', 'seccion_aduanera'], ['ds_pedimento.patente', 'ds_pedimento.pedimento', 'ds_pedimento.seccion_aduanera'], name='fk_ds_tasa_pedimento'),
    sa.PrimaryKeyConstraint('patente', 'pedimento', 'seccion_aduanera', 'linea', name='pk_ds_tasa')
    )
    op.create_table('ds_transporte',
    sa.Column('patente', sa.String(length=4), nullable=False),
    sa.Column('pedimento', sa.String(length=7), nullable=False),
    sa.Column('seccion_aduanera', sa.String(length=3), nullable=False),
    sa.Column('linea', sa.Integer(), nullable=False),
    sa.Column('rfc_transportista', sa.String(), nullable=True),
    sa.Column('curp_transportista', sa.String(), nullable=True),
    sa.Column('nombre_transportista', sa.String(), nullable=True),
    sa.Column('pais_transporte', sa.String(), nullable=True),
    sa.Column('identificador_transporte', sa.String(), nullable=True),
    sa.Column('fecha_pago_real', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['patente', 'pedimento', 'seccion_aduanera'], ['ds_pedimento.patente', 'ds_pedimento.pedimento', 'ds_pedimento.seccion_aduanera'], name='fk_ds_transporte_pedimento'),
    sa.PrimaryKeyConstraint('patente', 'pedimento', 'seccion_aduanera', 'linea', name='pk_ds_transporte')
    )
    op.create_table('ds_partida_contribucion',
    sa.Column('patente', sa.String(length=4), nullable=False),
    sa.Column('pedimento', sa.String(length=7), nullable=False),
    sa.Column('seccion_aduanera', sa.String(length=3), nullable=False),
    sa.Column('linea', sa.Integer(), nullable=False),
    sa.Column('fraccion', sa.String(), nullable=True),
    sa.Column('secuencia_fraccion', sa.Integer(), nullable=False),
    sa.Column('clave_contribucion', sa.String(), nullable=True),
    sa.Column('forma_pago', sa.String(), nullable=True),
    sa.Column('importe_pago', sa.String(), nullable=True),
    sa.Column('fecha_pago_real', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['patente', 'pedimento', 'seccion_aduanera'], ['ds_pedimento.patente', 'ds_pedimento.pedimento', 'ds_pedimento.seccion_aduanera'], name='fk_ds_partida_contribucion_pedimento'),
    sa.PrimaryKeyConstraint('patente', 'pedimento', 'seccion_aduanera', 'secuencia_fraccion', 'linea', name='pk_ds_partida_contribucion')
    )
    op.create_table('ds_partida_cuenta_garantia',
    sa.Column('patente', sa.String(length=4), nullable=False),
    sa.Column('pedimento', sa.String(length=7), nullable=False),
    sa.Column('seccion_aduanera', sa.String(length=3), nullable=False),
    sa.Column('linea', sa.Integer(), nullable=False),
    sa.Column('fraccion', sa.String(), nullable=True),
    sa.Column('secuencia_fraccion', sa.Integer(), nullable=False),
    sa.Column('institucion_emisora', sa.String(), nullable=True),
    sa.Column('numero_cuenta', sa.String(), nullable=True),
    sa.Column('folio_constancia', sa.String(), nullable=True),
    sa.Column('fecha_constancia', sa.String(), nullable=True),
    sa.Column('clave_garantia', sa.String(), nullable=True),
    sa.Column('valor_unitario_titulo', sa.String(), nullable=True),
    sa.Column('total_garantia', sa.String(), nullable=True),
    sa.Column('cantidad_unidades_medida', sa.String(), nullable=True),
    sa.Column('titulos_asignados', sa.String(), nullable=True),
    sa.Column('fecha_pago_real', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['patente', 'pedimento', 'seccion_aduanera'], ['ds_pedimento.patente', 'ds_pedimento.pedimento', 'ds_pedimento.seccion_aduanera'], name='fk_ds_partida_cuenta_garantia_pedimento'),
    sa.PrimaryKeyConstraint('patente', 'pedimento', 'seccion_aduanera', 'secuencia_fraccion', 'linea', name='pk_ds_partida_cuenta_garantia')
    )
    op.create_table('ds_partida_identificador',
    sa.Column('patente', sa.String(length=4), nullable=False),
    sa.Column('pedimento', sa.String(length=7), nullable=False),
    sa.Column('seccion_aduanera', sa.String(length=3), nullable=False),
    sa.Column('linea', sa.Integer(), nullable=False),
    sa.Column('fraccion', sa.String(), nullable=True),
    sa.Column('secuencia_fraccion', sa.Integer(), nullable=False),
    sa.Column('clave_caso', sa.String(), nullable=True),
    sa.Column('identificador_caso', sa.String(), nullable=True),
    sa.Column('complemento_caso', sa.String(), nullable=True),
    sa.Column('fecha_pago_real', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['patente', 'pedimento', 'seccion_aduanera'], ['ds_pedimento.patente', 'ds_pedimento.pedimento', 'ds_pedimento.seccion_aduanera'], name='fk_ds_partida_identificador_pedimento'),
    sa.PrimaryKeyConstraint('patente', 'pedimento', 'seccion_aduanera', 'secuencia_fraccion', 'linea', name='pk_ds_partida_identificador')
    )
    op.create_table('ds_partida_observacion',
    sa.Column('patente', sa.String(length=4), nullable=False),
    sa.Column('pedimento', sa.String(length=7), nullable=False),
    sa.Column('seccion_aduanera', sa.String(length=3), nullable=False),
    sa.Column('linea', sa.Integer(), nullable=False),
    sa.Column('fraccion', sa.String(), nullable=True),
    sa.Column('secuencia_fraccion', sa.Integer(), nullable=False),
    sa.Column('secuencia_observacion', sa.String(), nullable=True),
    sa.Column('observaciones', sa.String(), nullable=True),
    sa.Column('fecha_pago_real', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['patente', 'pedimento', 'seccion_aduanera'], ['ds_pedimento.patente', 'ds_pedimento.pedimento', 'ds_pedimento.seccion_aduanera'], name='fk_ds_partida_observacion_pedimento'),
    sa.PrimaryKeyConstraint('patente', 'pedimento', 'seccion_aduanera', 'secuencia_fraccion', 'linea', name='pk_ds_partida_observacion')
    )
    op.create_table('ds_partida_permiso',
    sa.Column('patente', sa.String(length=4), nullable=False),
    sa.Column('pedimento', sa.String(length=7), nullable=False),
    sa.Column('seccion_aduanera', sa.String(length=3), nullable=False),
    sa.Column('linea', sa.Integer(), nullable=False),
    sa.Column('fraccion', sa.String(), nullable=True),
    sa.Column('secuencia_fraccion', sa.Integer(), nullable=False),
    sa.Column('clave_permiso', sa.String(), nullable=True),
    sa.Column('firma_descargo', sa.String(), nullable=True),
    sa.Column('numero_permiso', sa.String(), nullable=True),
    sa.Column('valor_comercial_dolares', sa.String(), nullable=True),
    sa.Column('cantidad_mum_tarifa', sa.String(), nullable=True),
    sa.Column('fecha_pago_real', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['patente', 'pedimento', 'seccion_aduanera'], ['ds_pedimento.patente', 'ds_pedimento.pedimento', 'ds_pedimento.seccion_aduanera'], name='fk_ds_partida_permiso_pedimento'),
    sa.PrimaryKeyConstraint('patente', 'pedimento', 'seccion_aduanera', 'secuencia_fraccion', 'linea', name='pk_ds_partida_permiso')
    )
    op.create_table('ds_partida_tasa',
    sa.Column('patente', sa.String(length=4), nullable=False),
    sa.Column('pedimento', sa.String(length=7), nullable=False),
    sa.Column('seccion_aduanera', sa.String(length=3), nullable=False),
    sa.Column('linea', sa.Integer(), nullable=False),
    sa.Column('fraccion', sa.String(), nullable=True),
    sa.Column('secuencia_fraccion', sa.Integer(), nullable=False),
    sa.Column('clave_contribucion', sa.String(), nullable=True),
    sa.Column('tasa_contribucion', sa.String(), nullable=True),
    sa.Column('tipo_tasa', sa.String(), nullable=True),
    sa.Column('fecha_pago_real', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['patente', 'pedimento', 'seccion_aduanera'], ['ds_pedimento.patente', 'ds_pedimento.pedimento', 'ds_pedimento.seccion_aduanera'], name='fk_ds_partida_tasa_pedimento'),
    sa.PrimaryKeyConstraint('patente', 'pedimento', 'seccion_aduanera', 'secuencia_fraccion', 'linea', name='pk_ds_partida_tasa')
    )
    op.create_table('ds_partida_vehiculo',
    sa.Column('patente', sa.String(length=4), nullable=False),
    sa.Column('pedimento', sa.String(length=7), nullable=False),
    sa.Column('seccion_aduanera', sa.String(length=3), nullable=False),
    sa.Column('linea', sa.Integer(), nullable=False),
    sa.Column('fraccion', sa.String(), nullable=True),
    sa.Column('secuencia_fraccion', sa.Integer(), nullable=False),
    sa.Column('vin_numero_serie', sa.String(), nullable=True),
    sa.Column('kilometraje_vehiculo', sa.String(), nullable=True),
    sa.Column('fecha_pago_real', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['patente', 'pedimento', 'seccion_aduanera'], ['ds_pedimento.patente', 'ds_pedimento.pedimento', 'ds_pedimento.seccion_aduanera'], name='fk_ds_partida_vehiculo_pedimento'),
    sa.PrimaryKeyConstraint('patente', 'pedimento', 'seccion_aduanera', 'secuencia_fraccion', 'linea', name='pk_ds_partida_vehiculo')
    )


def downgrade() -> None:
    op.drop_table('ds_partida_vehiculo')
    op.drop_table('ds_partida_tasa')
    op.drop_table('ds_partida_permiso')
    op.drop_table('ds_partida_observacion')
    op.drop_table('ds_partida_identificador')
    op.drop_table('ds_partida_cuenta_garantia')
    op.drop_table('ds_partida_contribucion')
    op.drop_table('ds_transporte')
    op.drop_table('ds_tasa')
    op.drop_table('ds_rectificacion_contribucion')
    op.drop_table('ds_rectificacion')
    op.drop_table('ds_partida')
    op.drop_table('ds_observacion')
    op.drop_table('ds_identificador')
    op.drop_table('ds_guia')
    op.drop_table('ds_fecha')
    op.drop_table('ds_factura')
    op.drop_table('ds_destinatario')
    op.drop_table('ds_descargo')
    op.drop_table('ds_cuenta_garantia')
    op.drop_table('ds_contribucion')
    op.drop_table('ds_contenedor')
    op.drop_table('ds_seleccion')
    op.drop_table('ds_resumen')
    op.drop_index('ix_ds_pedimento_numero', table_name='ds_pedimento')
    op.drop_table('ds_pedimento')
    op.drop_table('ds_incidencia')
